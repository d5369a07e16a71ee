import { type ParseSink } from './attribute-reader';
import { childPath } from './element-paths';
import { CONTENT_MODELS, describeContentModel, type ChildRule } from './grammar';
import { MANIFEST_NAMESPACE } from './service-definition';
import { type XmlElement } from './xml-tree';

/** The children of one element that passed the content-model checks, by local name, in document order. */
export class Children {
  constructor(private readonly byName: ReadonlyMap<string, readonly XmlElement[]>) {}

  all(name: string): readonly XmlElement[] {
    return this.byName.get(name) ?? [];
  }

  first(name: string): XmlElement | undefined {
    return this.byName.get(name)?.[0];
  }
}

/**
 * Checks an element's content against its content model (grammar.ts) and returns the usable children.
 * Reports, each at its own path: text where only elements may be, an element outside the manifest
 * namespace, an unknown element, and the first break in the sequence, where libxml2 reports it (so the two
 * checkers name the same spot): a child that comes before a required sibling (missing or misplaced), one out
 * of order, one repeated beyond its maximum. When the sequence is otherwise fine, a required child missing at
 * the end is reported at the parent's path, like the XSD. Missing required children become gaps either way.
 * Children beyond a maximum are dropped; out-of-order ones are kept, so the rest of the manifest is read.
 */
export function readChildren(element: XmlElement, sink: ParseSink): Children {
  const rules = CONTENT_MODELS[element.local] ?? [];
  if (element.text !== '') sink.report(element.path, element.line, `text is not allowed inside <${element.local}>`);
  const sequence = new SequenceCheck(element, rules, sink);
  const byName = new Map<string, XmlElement[]>();
  for (const child of element.children) {
    const rank = rules.findIndex((r) => r.name === child.local);
    const rule = rules[rank];
    if (!acceptable(element, child, rule, sink)) continue;
    sequence.accept(child, rank);
    const seen = byName.get(child.local);
    if (seen === undefined) byName.set(child.local, [child]);
    else if (seen.length < rule.max) seen.push(child);
  }
  sequence.finish(byName);
  return new Children(byName);
}

function acceptable(parent: XmlElement, child: XmlElement, rule: ChildRule | undefined, sink: ParseSink): rule is ChildRule {
  if (child.uri !== MANIFEST_NAMESPACE) {
    sink.report(child.path, child.line, `<${child.qname}> is not in the manifest namespace ${MANIFEST_NAMESPACE}`);
    return false;
  }
  if (rule === undefined) {
    const allowed = describeContentModel(CONTENT_MODELS[parent.local] ?? []);
    sink.report(child.path, child.line, `unknown element <${child.local}> in <${parent.local}>, which holds: ${allowed}`);
    return false;
  }
  return true;
}

/** Walks an element's known children through its content model, reporting only the first break. */
class SequenceCheck {
  /** Rank of the rule the last accepted child matched, and how many children matched it in a row. */
  private position = 0;
  private count = 0;
  private broken = false;

  constructor(
    private readonly parent: XmlElement,
    private readonly rules: readonly ChildRule[],
    private readonly sink: ParseSink,
  ) {}

  accept(child: XmlElement, rank: number): void {
    const here = `in <${this.parent.local}>`;
    if (rank === this.position) {
      this.count += 1;
      if (this.count > (this.rules[rank]?.max ?? 0)) this.report(child, `<${child.local}> may appear only once ${here}`);
    } else if (rank < this.position) {
      this.report(child, `<${child.local}> is out of order ${here}, which holds: ${describeContentModel(this.rules)}`);
    } else {
      const skipped = this.rules.slice(this.position, rank).find((r, i) => r.min > (i === 0 ? this.count : 0));
      if (skipped) this.report(child, `<${child.local}> is not expected here: <${skipped.name}> must come first ${here}`);
      this.position = rank;
      this.count = 1;
    }
  }

  /** Records missing required children as gaps, and reports them unless the sequence already broke. */
  finish(found: ReadonlyMap<string, readonly XmlElement[]>): void {
    for (const rule of this.rules) {
      if (rule.min === 0 || found.has(rule.name)) continue;
      if (!this.broken) this.sink.report(this.parent.path, this.parent.line, `<${this.parent.local}> is missing its required <${rule.name}>`);
      this.sink.gap(childPath(this.parent.path, rule.name, undefined, 1));
    }
  }

  private report(child: XmlElement, message: string): void {
    if (!this.broken) this.sink.report(child.path, child.line, message);
    this.broken = true;
  }
}
