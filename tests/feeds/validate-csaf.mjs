#!/usr/bin/env node
// Checks CSAF 2.0 documents offline: the strict CSAF schema, every mandatory test (6.1.x) and
// every optional (recommended) test (6.2.x) of the secvisogram validator library, whose
// warnings count as failures here; provider metadata files against the OASIS provider schema.
// Usage: node validate-csaf.mjs --schema-dir DIR [--skip TEST]... [--provider FILE]... DOCUMENT.json...
// (--skip names a test left out, for a reason the caller states).
// Exits 1 when anything is invalid, naming the file, the test, the path and the reason.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import * as optional from '@secvisogram/csaf-validator-lib/optionalTests.js'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import cvss20 from '@secvisogram/csaf-validator-lib/schemas/cvss-v2.0.js'
import cvss30 from '@secvisogram/csaf-validator-lib/schemas/cvss-v3.0.js'
import cvss31 from '@secvisogram/csaf-validator-lib/schemas/cvss-v3.1.js'

const documents = []
const providers = []
const skip = new Set()
let schemaDir = ''
const argv = process.argv.slice(2)
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--provider') providers.push(argv[++i])
  else if (argv[i] === '--schema-dir') schemaDir = argv[++i]
  else if (argv[i] === '--skip') skip.add(argv[++i])
  else documents.push(argv[i])
}
const all = [csaf_2_0_strict, ...Object.values(mandatory), ...Object.values(optional)]
for (const name of skip) {
  if (!all.some((t) => t.name === name)) {
    console.error(`--skip ${name}: no such test`)
    process.exit(2)
  }
}
const tests = all.filter((t) => !skip.has(t.name))
if (!schemaDir || (!documents.length && !providers.length)) {
  console.error('usage: validate-csaf.mjs --schema-dir DIR [--provider FILE]... DOCUMENT.json...')
  process.exit(2)
}

let problems = 0
const fail = (file, test, path, message) => {
  problems++
  console.error(`FAIL ${file} [${test}] ${path || '/'}: ${message}`)
}
const read = (file) => JSON.parse(readFileSync(file, 'utf8'))

for (const file of documents) {
  let doc
  try {
    doc = read(file)
  } catch (e) {
    fail(file, 'parse', '', e.message)
    continue
  }
  const result = await validateStrict(tests, doc)
  let clean = true
  for (const t of result.tests) {
    const found = [...(t.errors ?? []), ...(t.warnings ?? [])]
    if (t.isValid && !found.length) continue
    clean = false
    if (!found.length) fail(file, t.name, '', 'failed without details')
    for (const e of found) fail(file, t.name, e.instancePath, e.message)
  }
  if (clean) console.log(`ok   ${file} (${tests.length} tests)`)
}

if (providers.length) {
  // The provider schema refers to the CSAF schema, which refers to FIRST's CVSS schemas: all
  // are registered here so that nothing is fetched.
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addSchema(cvss20, 'https://www.first.org/cvss/cvss-v2.0.json')
  ajv.addSchema(cvss30, 'https://www.first.org/cvss/cvss-v3.0.json')
  ajv.addSchema(cvss31, 'https://www.first.org/cvss/cvss-v3.1.json')
  ajv.addSchema(read(resolve(schemaDir, 'csaf_json_schema.json')))
  const check = ajv.compile(read(resolve(schemaDir, 'provider_json_schema.json')))
  for (const file of providers) {
    if (check(read(file))) {
      console.log(`ok   ${file} (provider schema)`)
      continue
    }
    for (const e of check.errors) fail(file, 'provider schema', e.instancePath, e.message)
  }
}

console.log(problems ? `${problems} problem(s)` : 'every document is valid')
process.exit(problems ? 1 : 0)
