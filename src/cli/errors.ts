/** The CLI uses the library's one input-error base (src/errors.ts); `main.ts` maps it to exit 2. */
export { UserError } from '../errors.js';
