// ehdeployVerify: see ehdeployVerify.txt. The work is in org.ehdeploy.Steps, shared by every step.
def call(Map config = [:]) {
    return new org.ehdeploy.Steps(this).verify(config)
}
