import { library } from "../../scripts/build/tsupLibrary.js"

// The shared build of every published package: ESM and CommonJS, declarations per file (see there).
export default library(["src/index.ts"])
