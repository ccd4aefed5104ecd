/** The tool version: in reports, the server's info and the cache keys. Bump with package.json. */
export const VERSION = '0.1.0';
