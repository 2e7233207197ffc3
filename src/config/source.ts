// A parsed YAML file that can say where each of its nodes is, so every problem carries the
// file:line:col of the offending node (of its key, for an unknown key).
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

export interface ConfigProblem {
  /** The file as the operator named it: the config dir as given, joined with the file's path in it. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

export type PathSeg = string | number;

export class SourceFile {
  private constructor(
    readonly file: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parses YAML text; syntax errors come back as problems, at most one a line (the rest cascade). */
  static parse(file: string, text: string): { source: SourceFile; problems: ConfigProblem[]; warnings: ConfigProblem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
    const source = new SourceFile(file, doc, lines);
    const seen = new Set<number>();
    const problems: ConfigProblem[] = [];
    for (const e of doc.errors) {
      const { line, col } = lines.linePos(e.pos[0]);
      if (seen.has(line)) continue;
      seen.add(line);
      const lineText = text.split('\n')[line - 1] ?? '';
      const hint = lineText.includes('${') && /[{[]/.test(lineText.slice(0, lineText.indexOf('${')))
        ? 'put "${VAR}" in quotes inside { } and [ ]'
        : 'check the indentation and quoting here';
      problems.push({ file, line, col, message: `YAML syntax error: ${e.message}; ${hint}` });
    }
    const warnings = doc.warnings.map((w) => ({ file, ...lines.linePos(w.pos[0]), message: w.message }));
    return { source, problems, warnings };
  }

  /** The plain value; only meaningful when parse() reported no problems. */
  value(): unknown {
    return this.doc.toJS();
  }

  /**
   * A problem at the node at `path`, or at its nearest ancestor that is written in the file
   * (a missing key points at the map that lacks it). `onKey` points at a map entry's key.
   */
  problem(path: readonly PathSeg[], message: string, onKey = false): ConfigProblem {
    return { file: this.file, ...this.where(path, onKey), message };
  }

  where(path: readonly PathSeg[], onKey = false): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let at = offsetOf(node) ?? 0;
    for (const [i, seg] of path.entries()) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) break;
        if (onKey && i === path.length - 1) next = pair.key;
        else next = offsetOf(pair.value) === undefined ? pair.key : pair.value;
      } else if (isSeq(node)) {
        next = node.items[Number(seg)];
      }
      const offset = offsetOf(next);
      if (offset === undefined) break;
      node = next;
      at = offset;
    }
    return this.lines.linePos(at);
  }
}

function offsetOf(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
