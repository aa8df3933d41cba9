/** What PipelineHarness's `error` step throws (hudson.AbortException in Jenkins). */
class PipelineError extends RuntimeException {
    PipelineError(String message) {
        super(message)
    }
}
