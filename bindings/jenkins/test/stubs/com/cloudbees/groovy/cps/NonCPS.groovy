package com.cloudbees.groovy.cps

import java.lang.annotation.ElementType
import java.lang.annotation.Retention
import java.lang.annotation.RetentionPolicy
import java.lang.annotation.Target

/**
 * Test stand-in for Jenkins' own com.cloudbees.groovy.cps.NonCPS (from groovy-cps), which
 * marks methods that Jenkins runs as plain Groovy instead of continuation-passing style.
 * Only on the tests' classpath: in Jenkins the real annotation is used.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target([ElementType.METHOD, ElementType.CONSTRUCTOR])
@interface NonCPS {
}
