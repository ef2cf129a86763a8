// Checks `svcgen blueprint schema` output as a draft-07 form validator reads it (Ajv 8, as
// Backstage's react-jsonschema-form uses; unknown `x-svcgen-*` and `ui:*` keys allowed), once
// `$schema` is dropped, as docs/portals.md says: the form's defaults plus a name pass, and
// each bad answer given on the command line fails.
//
//   node check-form-schema.cjs SCHEMA.json NAME 'BAD-ANSWERS-JSON'...
const fs = require('node:fs');
const Ajv = require('ajv');

const [file, name, ...bad] = process.argv.slice(2);
const schema = JSON.parse(fs.readFileSync(file, 'utf8'));
delete schema.$schema;
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

const form = { name };
const take = properties => {
  for (const [key, property] of Object.entries(properties ?? {})) {
    if ('default' in property) form[key] = property.default;
  }
};
take(schema.properties);
for (const rule of schema.allOf ?? []) take(rule.then?.properties);

let failed = 0;
if (validate(form)) {
  console.log(`ok   ajv-draft-07             ${file}: the form's defaults`);
} else {
  failed += 1;
  console.log(`FAIL ajv-draft-07             ${file}: the form's defaults\n     | ${JSON.stringify(validate.errors)}`);
}
for (const answers of bad) {
  const instance = { name, ...JSON.parse(answers) };
  if (validate(instance)) {
    failed += 1;
    console.log(`FAIL ajv-draft-07             ${file}: takes ${answers}`);
  } else {
    console.log(`ok   ajv-draft-07             ${file}: refuses ${answers}`);
  }
}
process.exit(failed ? 1 : 0);
