import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import javax.xml.parsers.DocumentBuilderFactory;

import org.semanticweb.HermiT.Reasoner;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportEvent;
import org.semanticweb.owlapi.model.MissingImportListener;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLDataFactory;
import org.semanticweb.owlapi.model.OWLNamedIndividual;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.util.SimpleIRIMapper;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Reasons over the adekg release with HermiT (and the OWL API 3 bundled in owlready2's HermiT.jar), offline.
 *
 * Usage: java -cp HermiT.jar:. HermitCheck ontology/adekg.owl ontology/catalog-v001.xml
 *
 * Loads the ontology, resolving every owl:imports through the Protégé XML catalog, and reports: load
 * errors, imports the catalog does not resolve, inconsistency, unsatisfiable classes, and the drugs
 * HermiT infers to be proteasome inhibitors. Parsing and the OWL 2 DL profile are OwlApiCheck's (the
 * OWL API 5 that writes the release): this OWL API 3 lists as unparsed some triples it does translate.
 * Exits 1 on any problem, 2 on bad arguments.
 */
public class HermitCheck {
    private static final String ADE = "https://w3id.org/adekg/ontology/";

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: HermitCheck ONTOLOGY.owl CATALOG.xml");
            System.exit(2);
        }
        File ontologyFile = new File(args[0]);
        File catalogFile = new File(args[1]);
        List<String> problems = new ArrayList<String>();

        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        int mapped = addCatalogMappings(manager, catalogFile);
        manager.addMissingImportListener(new MissingImportListener() {
            public void importMissing(MissingImportEvent event) {
                problems.add("import not resolved: " + event.getImportedOntologyURI());
            }
        });
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration().setStrict(false);
        config.setSilentMissingImportsHandling(false);

        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(ontologyFile), config);
        } catch (Exception error) {
            System.out.println("PARSE ERROR: " + error);
            System.exit(1);
            return;
        }

        Set<OWLOntology> closure = manager.getImportsClosure(ontology);
        int axioms = 0;
        for (OWLOntology each : closure) {
            axioms += each.getAxiomCount();
        }

        Reasoner reasoner = new Reasoner(ontology);
        boolean consistent = reasoner.isConsistent();
        Set<String> unsatisfiable = new TreeSet<String>();
        Set<String> proteasomeInhibitors = new TreeSet<String>();
        if (!consistent) {
            problems.add("HermiT: the ontology is inconsistent");
        } else {
            for (OWLClass cls : reasoner.getUnsatisfiableClasses().getEntitiesMinusBottom()) {
                unsatisfiable.add(cls.getIRI().toString());
                problems.add("HermiT: unsatisfiable class " + cls.getIRI());
            }
            OWLDataFactory factory = manager.getOWLDataFactory();
            OWLClass inhibitor = factory.getOWLClass(IRI.create(ADE + "ProteasomeInhibitor"));
            for (OWLNamedIndividual drug : reasoner.getInstances(inhibitor, false).getFlattened()) {
                proteasomeInhibitors.add(drug.getIRI().toString());
            }
        }
        reasoner.dispose();

        System.out.println("ontology: " + ontology.getOntologyID());
        System.out.println("catalog entries: " + mapped + ", modules loaded: " + (closure.size() - 1)
                + ", axioms in imports closure: " + axioms);
        System.out.println("HermiT consistent: " + consistent + ", unsatisfiable classes: " + unsatisfiable.size());
        System.out.println("inferred proteasome inhibitors: " + proteasomeInhibitors);
        for (String problem : problems) {
            System.out.println("PROBLEM: " + problem);
        }
        System.out.println(problems.isEmpty() ? "OK" : "FAILED: " + problems.size() + " problem(s)");
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    /** Maps each catalog entry's import IRI to its local file; returns how many entries there were. */
    private static int addCatalogMappings(OWLOntologyManager manager, File catalogFile) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        NodeList entries = factory.newDocumentBuilder().parse(catalogFile).getElementsByTagNameNS(
                "urn:oasis:names:tc:entity:xmlns:xml:catalog", "uri");
        File base = catalogFile.getAbsoluteFile().getParentFile();
        for (int index = 0; index < entries.getLength(); index++) {
            Element entry = (Element) entries.item(index);
            File local = new File(base, entry.getAttribute("uri"));
            if (!local.isFile()) {
                throw new IllegalStateException("catalog entry " + entry.getAttribute("name") + " points to missing " + local);
            }
            manager.addIRIMapper(new SimpleIRIMapper(IRI.create(entry.getAttribute("name")), IRI.create(local)));
        }
        return entries.getLength();
    }
}
