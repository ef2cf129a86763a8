// Validates catalog-info.yaml files with Backstage's own catalog model: the policies the
// catalog applies to every entity it reads, then the Component kind's schema.
const fs = require('node:fs');
const YAML = require('yaml');
const model = require('@backstage/catalog-model');

async function check(file) {
  const documents = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const document of documents) {
    if (document.errors.length) throw new Error(document.errors.join('; '));
    const entity = document.toJS();
    const policies = model.EntityPolicies.allOf([
      new model.SchemaValidEntityPolicy(),
      new model.DefaultNamespaceEntityPolicy(),
      new model.NoForeignRootFieldsEntityPolicy(),
      new model.FieldFormatEntityPolicy(),
    ]);
    const checked = await policies.enforce(entity);
    if (!checked) throw new Error('rejected by the entity policies');
    const known = await model.componentEntityV1alpha1Validator.check(checked);
    if (!known) throw new Error(`not a Component: kind ${entity.kind}`);
    // The catalog resolves these references to entities: each must be one it can parse.
    const refs = [
      ['spec.owner', entity.spec.owner, 'group'],
      ['spec.system', entity.spec.system, 'system'],
      ...(entity.spec.dependsOn ?? []).map(ref => ['spec.dependsOn', ref, 'component']),
    ];
    for (const [field, ref, defaultKind] of refs) {
      if (ref === undefined) continue;
      const parsed = model.parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' });
      if (!model.KubernetesValidatorFunctions.isValidObjectName(parsed.name)) {
        throw new Error(`${field}: \`${ref}\` does not name an entity`);
      }
    }
  }
}

(async () => {
  let failed = 0;
  for (const file of process.argv.slice(2)) {
    try {
      await check(file);
      console.log(`ok   backstage-catalog-model  ${file}`);
    } catch (err) {
      failed += 1;
      console.log(`FAIL backstage-catalog-model  ${file}\n     | ${err.message}`);
    }
  }
  process.exit(failed ? 1 : 0);
})();
