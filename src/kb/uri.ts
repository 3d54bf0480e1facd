/**
 * Whether a KB_URI is a folder on this machine or a shared store (`s3://…`, `gs://…`, `db://…`).
 * Its own module, free of LanceDB, so the bot and the playground can ask without loading it.
 */
export function isLocalKbUri(uri: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(uri.trim());
}
