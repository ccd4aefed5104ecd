/**
 * Settings: one schema, the single source of defaults for the server, the CLI (`--config`
 * JSON with the same keys, without the `lockscope.` prefix) and package.json's contributes.
 */
import { validateExtraFunctions } from '../kb/knowledge';
import type { ApiFact } from '../kb/types';
import { DEFAULT_OFF_PATTERNS } from '../preprocess/off-by-default';
import { parseKernelVersion } from '../preprocess/predefined';
import type { RuleId, Severity } from '../rules/rule';
import { CONFIDENCES, type Confidence } from '../rules/confidence';
import { RULE_IDS } from '../rules/registry';

export type SeveritySetting = Severity | 'off';

export interface Settings {
  include: string[];
  exclude: string[];
  maxFiles: number;
  severity: Partial<Record<RuleId, SeveritySetting>>;
  extraLockFunctions: Record<string, ApiFact>;
  kernelOrder: boolean;
  baseline: string;
  lockdepReports: string[];
  defines: string[];
  undefines: string[];
  compileCommands: string;
  kernelConfig: string;
  offByDefault: string[];
  kernelVersion: string;
  minConfidence: Confidence;
}

interface PropertySchema {
  type: 'array' | 'object' | 'number' | 'boolean' | 'string';
  default: unknown;
  description: string;
  items?: { type: 'string' };
  minimum?: number;
  additionalProperties?: unknown;
  enum?: readonly string[];
}

const SEVERITIES: SeveritySetting[] = ['off', 'hint', 'information', 'warning', 'error'];

/** The `contributes.configuration.properties` of package.json, keyed without the prefix. */
export const SETTINGS_SCHEMA: Record<keyof Settings, PropertySchema> = {
  include: {
    type: 'array',
    items: { type: 'string' },
    default: ['**/*.c', '**/*.h'],
    description: 'Glob patterns (relative to the workspace folder) of the files Lockscope indexes.',
  },
  exclude: {
    type: 'array',
    items: { type: 'string' },
    default: ['**/.git/**', '**/node_modules/**'],
    description: 'Glob patterns of files never indexed (in addition to .gitignore).',
  },
  maxFiles: {
    type: 'number',
    minimum: 1,
    default: 50000,
    description: 'Stop indexing a workspace after this many files (a note says so).',
  },
  severity: {
    type: 'object',
    default: {},
    additionalProperties: { type: 'string', enum: SEVERITIES },
    description: `Per-rule severity override: { "fault-under-lock": "off" }. Values: ${SEVERITIES.join(', ')}. Rules: ${RULE_IDS.join(', ')}.`,
  },
  extraLockFunctions: {
    type: 'object',
    default: {},
    description:
      'Your own lock wrappers and APIs, same shape as the built-in table: { "foo_lock": { "acquire": { "arg": 0, "kind": "mutex" } }, "foo_unlock": { "release": { "arg": 0, "kind": "mutex" } } }.',
  },
  kernelOrder: {
    type: 'boolean',
    default: true,
    description:
      "Add the core kernel's known lock-order edges (docs/kernel-order.md) to the workspace graph.",
  },
  baseline: {
    type: 'string',
    default: '',
    description:
      'A findings baseline: the JSON or SARIF output of an earlier `lockscope scan` (`--write-baseline`), relative to the workspace folder. Only findings not in it are shown.',
  },
  lockdepReports: {
    type: 'array',
    items: { type: 'string' },
    default: [],
    description:
      'Files with lockdep reports (dmesg) or /proc/lockdep dumps whose edges are merged as runtime edges.',
  },
  defines: {
    type: 'array',
    items: { type: 'string' },
    default: ['__linux__', '__KERNEL__'],
    description:
      'Preprocessor symbols taken as defined (NAME or NAME=value), above any configuration found in the workspace.',
  },
  undefines: {
    type: 'array',
    items: { type: 'string' },
    default: [],
    description: 'Preprocessor symbols taken as undefined, above any configuration found in the workspace.',
  },
  compileCommands: {
    type: 'string',
    default: '',
    description:
      'compile_commands.json to read per-file -D, -U and -include flags from (relative to the workspace folder). Empty: look for one at the workspace root and in its build folders.',
  },
  kernelConfig: {
    type: 'string',
    default: '',
    description:
      'Kernel .config or include/generated/autoconf.h to evaluate #if and IS_ENABLED() with. Empty: look for one in the workspace, its kernel tree and O= build folders.',
  },
  offByDefault: {
    type: 'array',
    items: { type: 'string' },
    default: [...DEFAULT_OFF_PATTERNS],
    description:
      'Symbols taken as off when no configuration says otherwise (* matches any run of characters; !PATTERN keeps a symbol an earlier entry matched): debug, self-test, fault-injection and KUnit options.',
  },
  kernelVersion: {
    type: 'string',
    default: '',
    description:
      "Kernel version (e.g. 6.8 or 6.8.12) that LINUX_VERSION_CODE >= KERNEL_VERSION(...) arms are evaluated against. Empty: the kernel tree's own version, else the newest arm.",
  },
  minConfidence: {
    type: 'string',
    enum: CONFIDENCES,
    default: 'medium',
    description:
      'Findings below this confidence (high, medium, low) are not shown in Problems and not counted by --fail-on; they stay in the JSON, SARIF and HTML reports. Confidence drops with calls through ambiguous function pointers, conditions the analysis could not decide, long call chains, unknown lock containers and unknown configuration.',
  },
};

/**
 * Old names still read, each with a note saying its new name (contributed to package.json with a
 * deprecation message and no default, so that only a value the user set arrives).
 */
export const DEPRECATED_SETTINGS = {
  baselineOrder: {
    replacedBy: 'kernelOrder',
    schema: {
      type: ['boolean', 'null'],
      default: null,
      description: 'Deprecated: use lockscope.kernelOrder.',
      deprecationMessage: 'Renamed to lockscope.kernelOrder ("baseline" now means a findings baseline).',
    },
  },
} as const satisfies Record<string, { replacedBy: keyof Settings; schema: object }>;

/** Everything package.json contributes, keyed without the prefix: the schema and the old names. */
export function contributedSettings(): Record<string, object> {
  const old = Object.entries(DEPRECATED_SETTINGS).map(([k, v]) => [k, v.schema] as const);
  return { ...SETTINGS_SCHEMA, ...Object.fromEntries(old) };
}

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(SETTINGS_SCHEMA)) out[k] = structuredClone(v.default);
  return out as unknown as Settings;
}

/**
 * Reads untrusted settings: every valid key is used, every invalid one falls back to its
 * default with one message naming it.
 */
export function parseSettings(raw: unknown): { settings: Settings; errors: string[]; notes: string[] } {
  const settings = defaultSettings();
  const errors: string[] = [];
  const notes: string[] = [];
  if (raw === undefined || raw === null) return { settings, errors, notes };
  if (typeof raw !== 'object' || Array.isArray(raw))
    return { settings, errors: ['settings must be an object'], notes };
  const input = raw as Record<string, unknown>;
  const aliased: [keyof Settings, unknown][] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    const old = Object.hasOwn(DEPRECATED_SETTINGS, key)
      ? DEPRECATED_SETTINGS[key as keyof typeof DEPRECATED_SETTINGS]
      : undefined;
    if (old) {
      notes.push(`setting "${key}" is deprecated: use "${old.replacedBy}"`);
      const problem = checkValue(old.replacedBy, SETTINGS_SCHEMA[old.replacedBy], value);
      if (problem) errors.push(`setting "${key}": ${problem}; ignored`);
      else aliased.push([old.replacedBy, value]);
      continue;
    }
    const schema = Object.hasOwn(SETTINGS_SCHEMA, key) ? SETTINGS_SCHEMA[key as keyof Settings] : undefined;
    if (!schema) {
      errors.push(`unknown setting "${key}" (ignored)`);
      continue;
    }
    const problem = checkValue(key as keyof Settings, schema, value);
    if (problem) errors.push(`setting "${key}": ${problem}; using the default`);
    else (settings as unknown as Record<string, unknown>)[key] = value;
  }
  // The only alias is a switch that is on by default: either name turning it off turns it off.
  for (const [key, value] of aliased)
    if (value === false) (settings as unknown as Record<string, unknown>)[key] = false;
  const extra = validateExtraFunctions(input.extraLockFunctions);
  settings.extraLockFunctions = extra.facts;
  errors.push(...extra.errors);
  return { settings, errors, notes };
}

function checkValue(key: keyof Settings, schema: PropertySchema, value: unknown): string | undefined {
  switch (schema.type) {
    case 'array':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
        ? undefined
        : 'expected a list of strings';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'expected true or false';
    case 'string':
      if (typeof value !== 'string') return 'expected a string';
      if (key === 'kernelVersion' && value !== '' && parseKernelVersion(value) === undefined)
        return `"${value}" is not a kernel version (like 6.8 or 6.8.12)`;
      return !schema.enum || schema.enum.includes(value)
        ? undefined
        : `expected one of ${schema.enum.join(', ')}`;
    case 'number':
      return typeof value === 'number' && value >= (schema.minimum ?? -Infinity)
        ? undefined
        : `expected a number >= ${schema.minimum}`;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return 'expected an object';
      if (key !== 'severity') return undefined;
      for (const [rule, sev] of Object.entries(value as Record<string, unknown>)) {
        if (!RULE_IDS.includes(rule as RuleId)) return `unknown rule "${rule}"`;
        if (!SEVERITIES.includes(sev as SeveritySetting))
          return `"${rule}" must be one of ${SEVERITIES.join(', ')}`;
      }
      return undefined;
    }
  }
}
