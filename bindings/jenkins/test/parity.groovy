// parity.groovy QUESTIONS_JSON OUT_DIR: ask every question of tests/parity/questions.json
// through EhDeploy.callJson (the C ABI by JNA) and write each answer, plus one newline as the
// CLI prints it, to OUT_DIR/<name>.json (UTF-8), for the cross-language parity driver
// (bindings/parity.py). One JVM for all questions. Run by run-tests.sh --parity.
import org.ehdeploy.EhDeploy

if (args.length != 2) {
    System.err.println('usage: parity.groovy QUESTIONS_JSON OUT_DIR')
    System.exit(64)
}
List questions = new groovy.json.JsonSlurperClassic().parse(new File(args[0]), 'UTF-8') as List
File out = new File(args[1])
out.mkdirs()
EhDeploy ehd = new EhDeploy(System.getenv('EHDEPLOY_LIB_DIR'))
questions.each { Map q ->
    // The request is the question's JSON text, sent as it is.
    new File(out, "${q.name}.json").setText(ehd.callJson(q.op as String, q.request as String) + '\n', 'UTF-8')
}
