/**
 * Plain text from the tagged Brown corpus format (`The/at Fulton/np-tl County/nn-tl ...`).
 *
 * @module
 */

/** Tokens written with no space before them. */
const ATTACH_LEFT = new Set([".", ",", ";", ":", "?", "!", ")", "]", "''", "'"]);
/** Tokens written with no space after them. */
const ATTACH_RIGHT = new Set(["(", "[", "``", "`"]);
/** The corpus spells double quotes as TeX-style pairs. */
const QUOTES: Record<string, string> = { "``": '"', "''": '"' };

/**
 * Removes the part-of-speech tags of Brown-corpus text and rejoins the words.
 *
 * A token is `word/tag` (the word may itself hold `/`, as in `1-1/2/cd`, so the tag is what
 * follows the last `/`). Each non-blank line is a sentence; sentences of one paragraph are joined
 * with spaces and paragraphs (runs of blank lines) with `"\n\n"`. Punctuation attaches to its
 * neighbour and the TeX quotes `` and '' become `"`.
 *
 * @example
 * ```ts
 * stripBrownTags("\tThe/at jury/nn said/vbd ``/`` no/at ''/'' ./.");
 * // 'The jury said "no".'
 * ```
 */
export function stripBrownTags(tagged: string): string {
  const paragraphs: string[] = [];
  for (const block of tagged.split(/\n[ \t]*\n/)) {
    const sentences = block.split("\n").map(untagSentence).filter((s) => s.length > 0);
    if (sentences.length > 0) paragraphs.push(sentences.join(" "));
  }
  return paragraphs.join("\n\n");
}

function untagSentence(line: string): string {
  let out = "";
  let glueNext = true;
  for (const token of line.split(/\s+/)) {
    if (token === "") continue;
    const slash = token.lastIndexOf("/");
    const word = slash > 0 ? token.slice(0, slash) : token;
    if (!glueNext && !ATTACH_LEFT.has(word)) out += " ";
    out += QUOTES[word] ?? word;
    glueNext = ATTACH_RIGHT.has(word);
  }
  return out;
}
