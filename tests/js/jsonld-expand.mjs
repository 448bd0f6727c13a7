// Expand JSON-LD documents with jsonld.js, reading nothing but the server that served them; print the number of
// RDF statements each expands to, as JSON on stdout. Usage: node jsonld-expand.mjs BASE PATH...
import jsonld from "jsonld";

const [base, ...paths] = process.argv.slice(2);
const loader = async (url) => {
  if (!url.startsWith(base)) throw new Error(`network access to ${url} refused: not on ${base}`);
  const response = await fetch(url, { headers: { Accept: "application/ld+json" } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return { contextUrl: null, documentUrl: url, document: await response.json() };
};
const counts = {};
for (const path of paths) {
  const { document } = await loader(base + path);
  const quads = await jsonld.toRDF(document, { documentLoader: loader, safe: true });
  counts[path] = quads.length;
}
process.stdout.write(JSON.stringify(counts));
