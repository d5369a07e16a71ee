import { elementOf, type ElementLocator } from './element-paths';
import { type XmlElement } from './xml-tree';

/**
 * Looks elements of one manifest up by path or by line. Used to put line numbers on semantic errors (found on
 * the typed ServiceDefinition, which has none) and to turn the line numbers libxml2 reports into element paths.
 */
export class ElementIndex {
  private readonly byPath = new Map<string, XmlElement[]>();

  constructor(readonly elements: readonly XmlElement[]) {
    for (const element of elements) {
      const same = this.byPath.get(element.path);
      if (same) same.push(element);
      else this.byPath.set(element.path, [element]);
    }
  }

  /** Line of the `occurrence`-th element (1-based, in document order) at a path; attributes map to their element. */
  readonly locate: ElementLocator = (path, occurrence = 1) => this.byPath.get(elementOf(path))?.[occurrence - 1]?.line;

  /**
   * Elements a message about `line` can be about: those whose start tag spans the line, or whose end tag is on
   * it; restricted to a local name when given. In document order.
   */
  atLine(line: number, local?: string): XmlElement[] {
    return this.elements.filter(
      (e) => (local === undefined || e.local === local) && ((e.line <= line && line <= e.tagEndLine) || e.closeLine === line),
    );
  }
}
