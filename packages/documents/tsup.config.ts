import { library } from "../../scripts/build/tsupLibrary.js"

// The shared build of every published package: ESM and CommonJS, declarations per file (see there).
// `shims`: the CommonJS build gets `import.meta.url`, which finds the bundled font files.
export default library(["src/index.ts"], { shims: true })
