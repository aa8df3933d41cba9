package org.ehdeploy

import com.sun.jna.Library
import com.sun.jna.Pointer
import com.sun.jna.ptr.PointerByReference

/**
 * The C ABI of libehdeploy (bindings/c/include/ehdeploy.h), as JNA maps it.
 *
 * Use {@link EhDeploy} rather than this: the string ehd_call returns must be freed with
 * ehd_string_free, which EhDeploy always does. ehd_version and ehd_status_name return
 * static strings, so JNA may copy them into Java Strings directly.
 */
interface EhDeployLibrary extends Library {
    /** ehd_status ehd_call(const char *op, const char *request_json, char **response_json) */
    int ehd_call(String op, String request, PointerByReference out)

    /** void ehd_string_free(char *s) */
    void ehd_string_free(Pointer p)

    /** const char *ehd_version(void): static, do not free */
    String ehd_version()

    /** const char *ehd_status_name(int32_t status): static, do not free */
    String ehd_status_name(int status)
}
