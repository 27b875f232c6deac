/**
 * Line diff of two policy versions (pure): what an operator reviews before activating or rolling back. The common
 * head and tail are trimmed, the middle is diffed by longest common subsequence; a middle too large for that
 * (more than MAX_CELLS comparisons) is shown as removed then added, which is still a correct diff.
 */

export interface DiffLine {
  op: ' ' | '+' | '-';
  line: string;
}

export interface TextDiff {
  added: number;
  removed: number;
  /** Changed lines with up to CONTEXT unchanged lines around them; `...` marks skipped unchanged lines. */
  lines: DiffLine[];
}

const MAX_CELLS = 4_000_000;
const CONTEXT = 3;

export function diffText(before: string, after: string): TextDiff {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const all: DiffLine[] = [
    ...a.slice(0, head).map((line) => ({ op: ' ' as const, line })),
    ...diffMiddle(midA, midB),
    ...a.slice(a.length - tail).map((line) => ({ op: ' ' as const, line })),
  ];
  return {
    added: all.filter((l) => l.op === '+').length,
    removed: all.filter((l) => l.op === '-').length,
    lines: withContext(all),
  };
}

function diffMiddle(a: string[], b: string[]): DiffLine[] {
  if (a.length * b.length > MAX_CELLS) {
    return [...a.map((line) => ({ op: '-' as const, line })), ...b.map((line) => ({ op: '+' as const, line }))];
  }
  // lcs[i][j]: length of the LCS of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as Uint32Array;
      const next = lcs[i + 1] as Uint32Array;
      row[j] = a[i] === b[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i] as string });
      i++;
      j++;
    } else if (((lcs[i + 1] as Uint32Array)[j] as number) >= ((lcs[i] as Uint32Array)[j + 1] as number)) {
      out.push({ op: '-', line: a[i++] as string });
    } else {
      out.push({ op: '+', line: b[j++] as string });
    }
  }
  while (i < a.length) out.push({ op: '-', line: a[i++] as string });
  while (j < b.length) out.push({ op: '+', line: b[j++] as string });
  return out;
}

function withContext(all: DiffLine[]): DiffLine[] {
  const keep = new Array<boolean>(all.length).fill(false);
  all.forEach((l, k) => {
    if (l.op === ' ') return;
    for (let d = Math.max(0, k - CONTEXT); d <= Math.min(all.length - 1, k + CONTEXT); d++) keep[d] = true;
  });
  const out: DiffLine[] = [];
  let skipped = false;
  all.forEach((l, k) => {
    if (keep[k]) {
      out.push(l);
      skipped = false;
    } else if (!skipped) {
      out.push({ op: ' ', line: '...' });
      skipped = true;
    }
  });
  return out.length === 1 && out[0]?.line === '...' ? [] : out;
}
