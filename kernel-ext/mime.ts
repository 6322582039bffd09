/**
 * MIME bundles: what a Jupyter `display_data` message carries. A bundle maps MIME types to values;
 * the frontend picks the richest type it can render (JupyterLab by rank, nbconvert and VS Code by
 * their own priority lists), so every bundle here also has a `text/plain` twin.
 */

/** A Jupyter MIME bundle: MIME type → value (JSON object for `application/*+json`, string otherwise). */
export type MimeBundle = Record<string, unknown>;

/** Per-MIME display metadata (e.g. `{ 'image/png': { width: 400 } }`). */
export type MimeMetadata = Record<string, Record<string, unknown>>;

/** The MIME types aggstem's display helpers emit. */
export const MIME = {
  plotly: 'application/vnd.plotly.v1+json',
  vegaLite: 'application/vnd.vegalite.v5+json',
  html: 'text/html',
  svg: 'image/svg+xml',
  png: 'image/png',
  plain: 'text/plain',
  markdown: 'text/markdown',
} as const;

export { escapeHtml, jsonForScript } from '../src/analysis/html.js';

/** Base64 of bytes (the wire form of binary MIME types such as `image/png`). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
