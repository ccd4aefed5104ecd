/**
 * The `#if`/`#elif` expression evaluator: C preprocessor arithmetic over three values, known
 * true, known false and unknown. A symbol comes from the configuration as defined (with its
 * replacement text), undefined, or unknown; anything unknown propagates except where C's own
 * rules decide without it (`0 && x`, `1 || x`, `x * 0` is not one of them: cpp would still
 * have to read x). `defined`, the kconfig.h tests (`IS_ENABLED`, `IS_BUILTIN`, `IS_MODULE`,
 * `IS_REACHABLE`) and `KERNEL_VERSION(a, b, c)` are built in; object-like macros expand (to
 * a bounded depth, never recursively); any other function-like macro is unknown.
 */

/** What the configuration says of one symbol. `value`: its replacement text, when defined. */
export interface SymbolState {
  defined: boolean | undefined;
  value?: string;
}

export type SymbolLookup = (name: string) => SymbolState;

/** One symbol's answer as a short string: equal codes, equal reading of the file. */
export function answerCode(s: SymbolState): string {
  return s.defined === undefined ? '?' : s.defined ? `y${s.value ?? ''}` : 'n';
}

export interface EvalResult {
  /** undefined: the configuration does not decide the expression. */
  value: bigint | undefined;
  /** The first symbol whose unknown state left the result unknown (for notes). */
  unknownSymbol?: string;
}

const UNKNOWN_STATE: SymbolState = { defined: undefined };
const MAX_EXPANSION_DEPTH = 16;

type Token =
  | { kind: 'num'; value: bigint }
  | { kind: 'id'; name: string }
  | { kind: 'op'; op: string }
  | { kind: 'bad' };

const OPERATORS = [
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '(',
  ')',
  '!',
  '~',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '&',
  '^',
  '|',
  '?',
  ':',
  ',',
];

/** Splits an expression into tokens; comments and string literals become a `bad` token. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\\') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') break;
    const word = /^[A-Za-z_]\w*/.exec(text.slice(i, i + 256));
    if (word) {
      out.push({ kind: 'id', name: word[0] });
      i += word[0].length;
      continue;
    }
    const num = /^(?:0[xX][0-9a-fA-F]+|\d+)[uUlL]*/.exec(text.slice(i, i + 64));
    if (num) {
      const digits = num[0].replace(/[uUlL]+$/, '');
      const value = /^0\d/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
      out.push({ kind: 'num', value: BigInt.asIntN(64, value) });
      i += num[0].length;
      continue;
    }
    if (c === "'") {
      const m = /^'(\\?.)'/.exec(text.slice(i, i + 4));
      out.push(m ? { kind: 'num', value: BigInt(charValue(m[1])) } : { kind: 'bad' });
      i += m ? m[0].length : 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) {
      out.push({ kind: 'bad' });
      i++;
      continue;
    }
    out.push({ kind: 'op', op });
    i += op.length;
  }
  return out;
}

function charValue(s: string): number {
  if (s.length === 1) return s.charCodeAt(0);
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39 };
  return escapes[s[1]] ?? s.charCodeAt(1);
}

class Unknown {
  constructor(readonly symbol: string | undefined) {}
}

/** A parse or evaluation the expression does not allow (a cpp error): unknown, like an unset symbol. */
class Malformed extends Error {}

type Value = bigint | Unknown;

/**
 * Evaluates an `#if` expression. Never throws: malformed input is unknown (the compiler would
 * stop there, so no arm is known to be taken).
 */
export function evaluate(text: string, lookup: SymbolLookup): EvalResult {
  try {
    const parser = new ExprParser(expandTokens(tokenize(text), lookup, 0, new Set()), lookup);
    const v = parser.parseExpression();
    if (!parser.atEnd()) throw new Malformed();
    return v instanceof Unknown ? { value: undefined, unknownSymbol: v.symbol } : { value: v };
  } catch (e) {
    if (e instanceof Malformed) return { value: undefined };
    throw e;
  }
}

/**
 * Replaces object-like macros by their replacement text (as cpp does before evaluating), except
 * operands of `defined` and the arguments of the built-in tests, which name symbols.
 */
function expandTokens(tokens: Token[], lookup: SymbolLookup, depth: number, active: Set<string>): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'id') {
      out.push(t);
      continue;
    }
    if (t.name === 'defined' || BUILTIN_TESTS.has(t.name)) {
      // Copy the operand unexpanded: `defined X`, `defined(X)`, `IS_ENABLED(X)`.
      out.push(t);
      const close = tokens[i + 1]?.kind === 'op' && (tokens[i + 1] as { op: string }).op === '(' ? 3 : 1;
      for (let k = 1; k <= close && i + 1 < tokens.length; k++) out.push(tokens[++i]);
      continue;
    }
    const state = active.has(t.name) ? UNKNOWN_STATE : lookup(t.name);
    const body = state.defined === true ? state.value : undefined;
    const functionLike = tokens[i + 1]?.kind === 'op' && (tokens[i + 1] as { op: string }).op === '(';
    if (body === undefined || body.trim() === '' || functionLike || depth >= MAX_EXPANSION_DEPTH) {
      out.push(t);
      continue;
    }
    const inner = new Set(active).add(t.name);
    out.push({ kind: 'op', op: '(' }, ...expandTokens(tokenize(body), lookup, depth + 1, inner), {
      kind: 'op',
      op: ')',
    });
  }
  return out;
}

const BUILTIN_TESTS = new Set(['IS_ENABLED', 'IS_BUILTIN', 'IS_MODULE', 'IS_REACHABLE']);

/** Precedence climbing over the binary operators of C (lowest first). */
const BINARY: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10,
};

class ExprParser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly lookup: SymbolLookup,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  private peekOp(): string | undefined {
    const t = this.tokens[this.pos];
    return t?.kind === 'op' ? t.op : undefined;
  }

  private expectOp(op: string): void {
    if (this.peekOp() !== op) throw new Malformed();
    this.pos++;
  }

  parseExpression(): Value {
    const v = this.parseConditional();
    // The comma operator: the last operand counts.
    if (this.peekOp() === ',') {
      this.pos++;
      return this.parseExpression();
    }
    return v;
  }

  private parseConditional(): Value {
    const cond = this.parseBinary(1);
    if (this.peekOp() !== '?') return cond;
    this.pos++;
    const a = this.parseExpression();
    this.expectOp(':');
    const b = this.parseConditional();
    if (!(cond instanceof Unknown)) return cond !== 0n ? a : b;
    return !(a instanceof Unknown) && !(b instanceof Unknown) && a === b ? a : cond;
  }

  private parseBinary(minPrec: number): Value {
    let left = this.parseUnary();
    for (;;) {
      const op = this.peekOp();
      const prec = op ? BINARY[op] : undefined;
      if (!op || prec === undefined || prec < minPrec) return left;
      this.pos++;
      const right = this.parseBinary(prec + 1);
      left = binary(op, left, right);
    }
  }

  private parseUnary(): Value {
    const op = this.peekOp();
    if (op === '!' || op === '~' || op === '-' || op === '+') {
      this.pos++;
      const v = this.parseUnary();
      if (v instanceof Unknown) return v;
      if (op === '!') return v === 0n ? 1n : 0n;
      if (op === '~') return BigInt.asIntN(64, ~v);
      return op === '-' ? BigInt.asIntN(64, -v) : v;
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Value {
    const t = this.tokens[this.pos++];
    if (!t) throw new Malformed();
    if (t.kind === 'num') return t.value;
    if (t.kind === 'op' && t.op === '(') {
      const v = this.parseExpression();
      this.expectOp(')');
      return v;
    }
    if (t.kind !== 'id') throw new Malformed();
    if (t.name === 'defined') return this.defined();
    if (BUILTIN_TESTS.has(t.name)) return this.kconfigTest(t.name);
    if (t.name === 'KERNEL_VERSION') return this.kernelVersion();
    if (this.peekOp() === '(') {
      this.skipArguments();
      return new Unknown(t.name);
    }
    const state = this.lookup(t.name);
    // An identifier left after expansion: 0 when undefined (C's rule), else not a number here.
    if (state.defined === false) return 0n;
    if (state.defined === true && state.value !== undefined && state.value.trim() === '')
      throw new Malformed();
    return new Unknown(t.name);
  }

  private symbolOperand(): string {
    const paren = this.peekOp() === '(';
    if (paren) this.pos++;
    const t = this.tokens[this.pos++];
    if (t?.kind !== 'id') throw new Malformed();
    if (paren) this.expectOp(')');
    return t.name;
  }

  private defined(): Value {
    const name = this.symbolOperand();
    const d = this.lookup(name).defined;
    return d === undefined ? new Unknown(name) : d ? 1n : 0n;
  }

  /**
   * kconfig.h: a `y` option defines CONFIG_X as 1, an `m` one CONFIG_X_MODULE as 1.
   * IS_REACHABLE also needs the caller built as a module for `m`, which the build decides.
   */
  private kconfigTest(test: string): Value {
    this.expectOp('(');
    const name = this.symbolOperand();
    this.expectOp(')');
    const builtin = isOne(this.lookup(name));
    const module = isOne(this.lookup(`${name}_MODULE`));
    switch (test) {
      case 'IS_BUILTIN':
        return truth(builtin, name);
      case 'IS_MODULE':
        return truth(module, name);
      case 'IS_REACHABLE':
        return truth(or(builtin, module === false ? false : undefined), name);
      default:
        return truth(or(builtin, module), name);
    }
  }

  private kernelVersion(): Value {
    this.expectOp('(');
    const parts: Value[] = [this.parseConditional()];
    while (this.peekOp() === ',') {
      this.pos++;
      parts.push(this.parseConditional());
    }
    this.expectOp(')');
    if (parts.length !== 3) throw new Malformed();
    const bad = parts.find((p) => p instanceof Unknown);
    if (bad) return bad;
    const [a, b, c] = parts as bigint[];
    return (a << 16n) + (b << 8n) + (c > 255n ? 255n : c);
  }

  private skipArguments(): void {
    let depth = 0;
    do {
      const op = this.peekOp();
      if (this.atEnd()) throw new Malformed();
      if (op === '(') depth++;
      else if (op === ')') depth--;
      this.pos++;
    } while (depth > 0);
  }
}

/** Whether a symbol is defined to 1 (kconfig.h's test), as far as the configuration says. */
function isOne(s: SymbolState): boolean | undefined {
  if (s.defined === false) return false;
  if (s.defined === undefined) return undefined;
  if (s.value === undefined) return undefined;
  return s.value.trim() === '1';
}

function or(a: boolean | undefined, b: boolean | undefined): boolean | undefined {
  if (a === true || b === true) return true;
  return a === false && b === false ? false : undefined;
}

function truth(v: boolean | undefined, symbol: string): Value {
  return v === undefined ? new Unknown(symbol) : v ? 1n : 0n;
}

function binary(op: string, l: Value, r: Value): Value {
  if (op === '&&') {
    if (l === 0n || r === 0n) return 0n;
    if (l instanceof Unknown) return l;
    return r instanceof Unknown ? r : 1n;
  }
  if (op === '||') {
    if ((!(l instanceof Unknown) && l !== 0n) || (!(r instanceof Unknown) && r !== 0n)) return 1n;
    if (l instanceof Unknown) return l;
    return r instanceof Unknown ? r : 0n;
  }
  if (l instanceof Unknown) return l;
  if (r instanceof Unknown) return r;
  switch (op) {
    case '|':
      return l | r;
    case '^':
      return l ^ r;
    case '&':
      return l & r;
    case '==':
      return l === r ? 1n : 0n;
    case '!=':
      return l !== r ? 1n : 0n;
    case '<':
      return l < r ? 1n : 0n;
    case '>':
      return l > r ? 1n : 0n;
    case '<=':
      return l <= r ? 1n : 0n;
    case '>=':
      return l >= r ? 1n : 0n;
    case '<<':
      return BigInt.asIntN(64, l << (r & 63n));
    case '>>':
      return l >> (r & 63n);
    case '+':
      return BigInt.asIntN(64, l + r);
    case '-':
      return BigInt.asIntN(64, l - r);
    case '*':
      return BigInt.asIntN(64, l * r);
    case '/':
    case '%':
      if (r === 0n) throw new Malformed();
      return op === '/' ? l / r : l % r;
  }
  throw new Malformed();
}
