// ehdeployRollback: see ehdeployRollback.txt. The work is in org.ehdeploy.Steps, shared by every step.
def call(Map config = [:]) {
    return new org.ehdeploy.Steps(this).rollback(config)
}
