/**
 * How much a reviewer's edit changed the draft, in characters: the length of the changed middle
 * once the common start and end are set aside. Linear time; pure, so the workflow can compute it.
 */
export interface EditSize {
  charactersChanged: number;
  originalLength: number;
  editedLength: number;
}

export function editSize(original: string, edited: string): EditSize {
  const a = [...original];
  const b = [...edited];
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix += 1;
  return {
    charactersChanged: Math.max(a.length, b.length) - prefix - suffix,
    originalLength: a.length,
    editedLength: b.length,
  };
}
