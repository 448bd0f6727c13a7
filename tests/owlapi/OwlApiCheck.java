import java.io.File;
import java.util.ArrayList;
import java.util.List;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.parameters.Imports;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

/**
 * Checks the adekg release with the OWL API 5 (the library family of Protégé and ROBOT, and the one that
 * writes the release), offline.
 *
 * Compiled with graph/owlapi/OwlApiSave.java, whose catalog mapping and unparsed-triple listing it uses:
 *   javac -d CLASSES -cp OWLAPI_JARS graph/owlapi/OwlApiSave.java tests/owlapi/OwlApiCheck.java
 *   java -cp CLASSES:OWLAPI_JARS OwlApiCheck ontology/adekg.owl ontology/catalog-v001.xml
 *
 * Loads the ontology, resolving every owl:imports through the Protégé XML catalog, and reports: load and
 * parse errors, imports the catalog does not resolve, RDF triples the parser could not turn into axioms,
 * and every OWL 2 DL profile violation (including "use of undeclared" entities). HermitCheck reasons.
 * Exits 1 on any problem, 2 on bad arguments.
 */
public class OwlApiCheck {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: OwlApiCheck ONTOLOGY.owl CATALOG.xml");
            System.exit(2);
        }
        File ontologyFile = new File(args[0]);
        File catalogFile = new File(args[1]);
        List<String> problems = new ArrayList<String>();

        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        int mapped = OwlApiSave.mapCatalog(manager, catalogFile);
        manager.addMissingImportListener(event -> problems.add("import not resolved: " + event.getImportedOntologyURI()));
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration().setStrict(false)
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);

        OWLOntology ontology;
        try {
            ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(ontologyFile), config);
        } catch (Exception error) {
            System.out.println("PARSE ERROR: " + error);
            System.exit(1);
            return;
        }

        List<OWLOntology> closure = new ArrayList<OWLOntology>();
        ontology.importsClosure().forEach(closure::add);
        int axioms = 0;
        for (OWLOntology each : closure) {
            axioms += each.getAxiomCount();
            for (String triple : OwlApiSave.unparsedTriples(manager.getOntologyFormat(each))) {
                problems.add("unparsed triple in " + each.getOntologyID().getOntologyIRI().orElse(null) + ": " + triple);
            }
        }
        long declaredImports = ontology.importsDeclarations().count();
        if (closure.size() - 1 != declaredImports) {
            problems.add("imports closure has " + (closure.size() - 1) + " modules but the ontology declares "
                    + declaredImports + " imports");
        }

        OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
        for (OWLProfileViolation violation : report.getViolations()) {
            problems.add("OWL 2 DL: " + violation);
        }

        System.out.println("ontology: " + ontology.getOntologyID());
        System.out.println("catalog entries: " + mapped + ", modules loaded: " + (closure.size() - 1));
        System.out.println("axioms in imports closure: " + axioms
                + " (classes " + ontology.classesInSignature(Imports.INCLUDED).count()
                + ", object properties " + ontology.objectPropertiesInSignature(Imports.INCLUDED).count()
                + ", data properties " + ontology.dataPropertiesInSignature(Imports.INCLUDED).count()
                + ", annotation properties " + ontology.annotationPropertiesInSignature(Imports.INCLUDED).count()
                + ", individuals " + ontology.individualsInSignature(Imports.INCLUDED).count() + ")");
        System.out.println("OWL 2 DL profile violations: " + report.getViolations().size());
        for (String problem : problems) {
            System.out.println("PROBLEM: " + problem);
        }
        System.out.println(problems.isEmpty() ? "OK" : "FAILED: " + problems.size() + " problem(s)");
        System.exit(problems.isEmpty() ? 0 : 1);
    }
}
