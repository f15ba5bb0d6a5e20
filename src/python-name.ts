// PEP 503 project name normalization, so `Foo_Bar`, `foo.bar` and `foo-bar` compare as one package.
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
