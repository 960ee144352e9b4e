/** The per-dictionary modules of opencc-js (`opencc-js/dict/<Name>`): `"from to|from to|…"`. */
declare module "opencc-js/dict/*" {
  const dict: string
  export default dict
}
