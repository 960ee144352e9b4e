/**
 * The font files a document is written with, apart from the PDF code so the public declarations
 * (`Print.Fonts`) name no type of pdfkit, fontkit or qrcode: an app that installs this package
 * compiles without their type packages (they are development dependencies here).
 */

/** The fonts a document is written with: bytes of TrueType/OpenType files, in order of preference. */
export interface FontFiles {
  readonly primary: Uint8Array
  readonly fallback?: Uint8Array | undefined
}
