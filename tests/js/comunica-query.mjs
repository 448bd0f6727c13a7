// Run one SPARQL query through Comunica against a SPARQL endpoint; print the result as JSON on stdout.
// Usage: node comunica-query.mjs ENDPOINT QUERY
import { QueryEngine } from "@comunica/query-sparql";

const [endpoint, query] = process.argv.slice(2);
const engine = new QueryEngine();
const context = { sources: [{ type: "sparql", value: endpoint }], lenient: false };
const result = await engine.query(query, context);
let output;
if (result.resultType === "bindings") {
  const bindings = await (await result.execute()).toArray();
  output = { bindings: bindings.map((b) => Object.fromEntries([...b].map(([v, t]) => [v.value, t.value]))) };
} else if (result.resultType === "boolean") {
  output = { boolean: await result.execute() };
} else {
  const quads = await (await result.execute()).toArray();
  output = { triples: quads.map((q) => [q.subject.value, q.predicate.value, q.object.value]) };
}
process.stdout.write(JSON.stringify(output));
