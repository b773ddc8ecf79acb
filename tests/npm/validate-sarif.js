#!/usr/bin/env node
// validate-sarif.js FILE... - checks SARIF logs against the SARIF 2.1.0 JSON schema (draft-04,
// as shipped by @microsoft/jest-sarif, pinned in package-lock.json) with ajv, formats included.
// unicodeRegExp is off: the schema's language pattern is not valid with the u flag.
// Prints each error and exits 1 when any file is invalid.
"use strict";
const fs = require("fs");
const path = require("path");
const Ajv = require("ajv-draft-04");
const addFormats = require("ajv-formats");

const schemaFile = path.join(__dirname, "node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);
let bad = 0;
for (const file of process.argv.slice(2)) {
  const log = JSON.parse(fs.readFileSync(file, "utf8"));
  if (validate(log)) {
    console.log(`${file}: valid SARIF 2.1.0`);
  } else {
    bad++;
    for (const e of validate.errors) console.log(`${file}: ${e.instancePath || "/"} ${e.message}`);
  }
}
process.exit(bad ? 1 : 0);
