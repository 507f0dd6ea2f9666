/**
 * A YAML reader for the subset scale-out/k8s-indexed-job.yaml uses (there is no YAML library
 * in the project): `#` comments, block mappings, block sequences of scalars or mappings,
 * plain and double-quoted scalars, and `>-` folded block scalars. Anything else is an error
 * naming the line, so the check cannot pass on a file it did not understand.
 *
 * @module
 */

/** A parsed value. */
export type Yaml = string | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
  number: number;
}

/**
 * Parses `text` (the subset above).
 *
 * @example
 * ```ts
 * import { parseYaml } from "./yaml.ts";
 * parseYaml("a:\n  - b: 1\n"); // { a: [{ b: "1" }] }
 * ```
 */
export function parseYaml(text: string): Yaml {
  const raw = text.split("\n");
  const lines: Line[] = [];
  raw.forEach((line, i) => {
    const stripped = line.replace(/\s+#.*$|^\s*#.*$/, "");
    if (stripped.trim() === "") return;
    if (/\t/.test(stripped.match(/^\s*/)![0])) throw new Error(`line ${i + 1}: tab indentation`);
    lines.push({ indent: stripped.search(/\S/), text: stripped.trim(), number: i + 1 });
  });
  let pos = 0;

  function scalar(value: string, line: Line): string {
    if (value.startsWith('"')) {
      if (!value.endsWith('"') || value.length < 2) {
        throw new Error(`line ${line.number}: bad quote`);
      }
      return JSON.parse(value);
    }
    if (/^[[{&*!|>'%@`]/.test(value)) {
      throw new Error(`line ${line.number}: unsupported "${value}"`);
    }
    return value;
  }

  function folded(parentIndent: number): string {
    const parts: string[] = [];
    while (pos < lines.length && lines[pos].indent > parentIndent) parts.push(lines[pos++].text);
    return parts.join(" ");
  }

  function valueAfter(rest: string, line: Line, indent: number): Yaml {
    if (rest === ">-") return folded(indent);
    if (rest !== "") return scalar(rest, line);
    if (pos >= lines.length || lines[pos].indent <= indent) {
      if (pos < lines.length && lines[pos].indent === indent && lines[pos].text.startsWith("- ")) {
        return block(indent);
      }
      throw new Error(`line ${line.number}: empty value`);
    }
    return block(lines[pos].indent);
  }

  function mapping(indent: number, first?: { key: string; rest: string; line: Line }): Yaml {
    const result: Record<string, Yaml> = {};
    const entry = (key: string, rest: string, line: Line) => {
      if (Object.hasOwn(result, key)) throw new Error(`line ${line.number}: duplicate key ${key}`);
      result[key] = valueAfter(rest, line, indent);
    };
    if (first) entry(first.key, first.rest, first.line);
    while (
      pos < lines.length && lines[pos].indent === indent && !lines[pos].text.startsWith("- ")
    ) {
      const line = lines[pos++];
      const match = /^([A-Za-z0-9_.\/-]+):(?:\s+(.*))?$/.exec(line.text);
      if (!match) throw new Error(`line ${line.number}: expected "key: value", got "${line.text}"`);
      entry(match[1], match[2] ?? "", line);
    }
    return result;
  }

  function sequence(indent: number): Yaml[] {
    const items: Yaml[] = [];
    while (pos < lines.length && lines[pos].indent === indent && lines[pos].text.startsWith("- ")) {
      const line = lines[pos++];
      const rest = line.text.slice(2).trim();
      const match = /^([A-Za-z0-9_.\/-]+):(?:\s+(.*))?$/.exec(rest);
      if (match && !rest.startsWith('"')) {
        items.push(mapping(indent + 2, { key: match[1], rest: match[2] ?? "", line }));
      } else if (rest === ">-") items.push(folded(indent));
      else items.push(scalar(rest, line));
    }
    return items;
  }

  function block(indent: number): Yaml {
    return lines[pos].text.startsWith("- ") ? sequence(indent) : mapping(indent);
  }

  const result = block(0);
  if (pos < lines.length) throw new Error(`line ${lines[pos].number}: unexpected indentation`);
  return result;
}
