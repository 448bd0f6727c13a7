import java.io.File;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.FunctionalSyntaxDocumentFormat;
import org.semanticweb.owlapi.formats.PrefixDocumentFormat;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.util.SimpleIRIMapper;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Loads an ontology with the OWL API, resolving owl:imports through a Protégé XML catalog (never the
 * network), and saves it as Protégé's Save does, in OWL functional syntax, or as the RDF/XML release.
 *
 * Usage: java -cp OWLAPI_JARS OwlApiSave.java SOURCE CATALOG TARGET same|ofn|rdfxml
 *   same    the format SOURCE was read in, with its prefixes (what Protégé's File > Save writes)
 *   ofn     OWL functional syntax, with SOURCE's prefixes (the canonical form of the edit file)
 *   rdfxml  RDF/XML, with SOURCE's prefixes, adding no rdf:type that SOURCE does not declare (the release)
 *
 * Refuses (exit 1, one line on stderr) an unreadable SOURCE, an import the catalog does not resolve,
 * and RDF triples the OWL API could not turn into axioms, so that nothing is dropped silently.
 * Written against OWL API 5 (Debian's libowlapi-java).
 */
public class OwlApiSave {
    public static void main(String[] args) {
        if (args.length != 4 || !List.of("same", "ofn", "rdfxml").contains(args[3])) {
            System.err.println("usage: OwlApiSave SOURCE CATALOG TARGET same|ofn|rdfxml");
            System.exit(2);
        }
        try {
            save(new File(args[0]), new File(args[1]), new File(args[2]), args[3]);
        } catch (Exception error) {
            String message = String.valueOf(error.getMessage()).trim();
            int end = message.indexOf('\n');
            System.err.println(error.getClass().getSimpleName() + ": " + (end < 0 ? message : message.substring(0, end)));
            System.exit(1);
        }
    }

    private static void save(File source, File catalog, File target, String syntax) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        mapCatalog(manager, catalog);
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.THROW_EXCEPTION);
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(source), config);
        OWLDocumentFormat loaded = manager.getOntologyFormat(ontology);
        List<String> unparsed = unparsedTriples(loaded);
        if (!unparsed.isEmpty()) {
            throw new IllegalStateException(unparsed.size() + " RDF triple(s) are not OWL and would be lost, first: "
                    + unparsed.get(0));
        }
        OWLDocumentFormat format = syntax.equals("same") ? loaded
                : syntax.equals("ofn") ? new FunctionalSyntaxDocumentFormat() : new RDFXMLDocumentFormat();
        if (format != loaded && loaded instanceof PrefixDocumentFormat) {
            PrefixDocumentFormat prefixes = (PrefixDocumentFormat) format;
            prefixes.copyPrefixesFrom((PrefixDocumentFormat) loaded);
            // The default prefix a parser invents (the OWL API's Turtle parser: www.semanticweb.org/owl/owlapi/turtle#)
            // depends on the parser that read SOURCE; the one Protégé gives a new ontology does not.
            ontology.getOntologyID().getOntologyIRI()
                    .ifPresent(iri -> prefixes.setDefaultPrefix(iri.toString() + "#"));
            manager.setOntologyFormat(ontology, format);  // the writers merge in the prefixes of this one too
        }
        // The release keeps an undeclared entity undeclared, so that the OWL 2 DL profile check reports it.
        format.setAddMissingTypes(!syntax.equals("rdfxml"));
        File partial = new File(target.getAbsoluteFile().getParentFile(), "." + target.getName() + ".partial");
        try (OutputStream output = new FileOutputStream(partial)) {
            manager.saveOntology(ontology, format, output);
        }
        if (!partial.renameTo(target)) {
            throw new IllegalStateException("cannot write " + target);
        }
    }

    /** Maps each import IRI of the Protégé XML catalog to its local file; returns how many entries there were. */
    static int mapCatalog(OWLOntologyManager manager, File catalog) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList entries = factory.newDocumentBuilder().parse(catalog).getElementsByTagNameNS(
                "urn:oasis:names:tc:entity:xmlns:xml:catalog", "uri");
        File base = catalog.getAbsoluteFile().getParentFile();
        for (int index = 0; index < entries.getLength(); index++) {
            Element entry = (Element) entries.item(index);
            File local = new File(base, entry.getAttribute("uri"));
            if (!local.isFile()) {
                throw new IllegalStateException("catalog entry " + entry.getAttribute("name") + " points to missing " + local);
            }
            manager.getIRIMappers().add(new SimpleIRIMapper(IRI.create(entry.getAttribute("name")), IRI.create(local)));
        }
        return entries.getLength();
    }

    /** RDF triples the parser could not map to OWL axioms or annotations (none for functional syntax). */
    static List<String> unparsedTriples(OWLDocumentFormat format) {
        List<String> triples = new ArrayList<String>();
        OWLOntologyLoaderMetaData metaData = format.getOntologyLoaderMetaData().orElse(null);
        if (metaData instanceof RDFParserMetaData) {
            ((RDFParserMetaData) metaData).getUnparsedTriples().forEach(triple -> triples.add(triple.toString()));
        }
        return triples;
    }
}
