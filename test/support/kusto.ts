/**
 * Offline KQL analysis with Microsoft's Kusto language service (`@kusto/language-service-next`):
 * parses and binds a query against declared table schemas, no network. Loaded once (a few seconds).
 */
import * as path from "node:path";

interface Diagnostic {
  readonly Message: string;
  readonly Start: number;
  readonly Length: number;
  readonly Severity: string;
}
interface KustoLanguage {
  Symbols: {
    TableSymbol: { $ctor7: new (name: string, schema: string, description: string | null) => unknown };
    DatabaseSymbol: { $ctor2: new (name: string, alternateName: string | null, members: unknown[]) => unknown };
  };
  GlobalState: { Default: { WithDatabase(database: unknown): unknown } };
  KustoCode: { ParseAndAnalyze(text: string, globals: unknown): { GetDiagnostics(): { Count: number; getItem(i: number): Diagnostic } } };
}

let language: KustoLanguage | undefined;

function load(): KustoLanguage {
  if (language) return language;
  const dir = path.dirname(require.resolve("@kusto/language-service-next/package.json"));
  // The Bridge.NET runtime first, then the language service; both define globals.
  require(path.join(dir, "bridge.js"));
  require(path.join(dir, "Kusto.Language.Bridge.js"));
  language = (globalThis as unknown as { Kusto: { Language: KustoLanguage } }).Kusto.Language;
  return language;
}

/** A problem the analyser found: message and the text it points at. */
export interface KqlDiagnostic {
  readonly message: string;
  readonly severity: string;
  readonly text: string;
}

/** Analyses `query` against the tables `{ name: "(Column:type, ...)" }`; returns every diagnostic. */
export function analyzeKql(query: string, tables: Readonly<Record<string, string>>): KqlDiagnostic[] {
  const kusto = load();
  const symbols = Object.entries(tables).map(([name, schema]) => new kusto.Symbols.TableSymbol.$ctor7(name, schema, null));
  const database = new kusto.Symbols.DatabaseSymbol.$ctor2("workspace", null, symbols);
  const globals = kusto.GlobalState.Default.WithDatabase(database);
  const diagnostics = kusto.KustoCode.ParseAndAnalyze(query, globals).GetDiagnostics();
  const out: KqlDiagnostic[] = [];
  for (let i = 0; i < diagnostics.Count; i++) {
    const d = diagnostics.getItem(i);
    out.push({ message: d.Message, severity: String(d.Severity), text: query.substr(d.Start, d.Length) });
  }
  return out;
}
