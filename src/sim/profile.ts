/** Profile fields the protocols show besides IDs and names, derived from the screen name. */

/** A display name: the screen name's letters, capitalised ("User 123" for an all-digit name). */
export function displayName(screenName: string): string {
  const letters = screenName.replace(/[0-9_]+/g, ' ').trim();
  return letters === '' ? `User ${screenName}` : letters[0]!.toUpperCase() + letters.slice(1);
}
