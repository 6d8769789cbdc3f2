/**
 * The collector's `sessionExpiration` in seconds. The build leaves this free identifier in the
 * bundle; the collector replaces it with the number when it loads the script (src/server/routes/snippet.ts).
 */
declare const __WT1_SESSION_EXPIRATION__: number;
/**
 * The collector's `paths.pixel` (a string), and a RegExp matching the end of the script's URL at one
 * of its `paths.snippet`: put in by the collector like the session expiration (docs/first-party.md).
 */
declare const __WT1_PIXEL_PATH__: string;
declare const __WT1_SCRIPT_PATH__: RegExp;

interface Navigator {
  /** Global Privacy Control (not yet in TypeScript's DOM lib). */
  readonly globalPrivacyControl?: boolean;
}
