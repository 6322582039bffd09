/**
 * One symbol, name and unit per quantity for figures: model parameters and descriptors written the
 * way a paper writes them (`D<sub>f</sub>`, `f<sub>B</sub>`, `CN<sub>het</sub>`), in the `<sub>`/`<sup>`
 * markup that plotly draws natively and aggstem's vega SVG renderer typesets (kernel-ext/rich-text.ts).
 * Every figure that labels a quantity takes its label from here, so axes, legends and panel titles
 * agree.
 */
import { PARAM_LIMITS } from '../model/params.js';
import { DESCRIPTOR_INFO } from '../descriptors/describe.js';

/** How a quantity is written in a figure. */
export interface QuantitySymbol {
  /** The symbol, e.g. `D<sub>f</sub>`. */
  symbol: string;
  /** A short name, e.g. `fractal dimension`. */
  name: string;
  /** Unit in markup (`nm`, `nm<sup>2</sup>`), '' for dimensionless quantities. */
  unit: string;
}

const SYMBOLS: Readonly<Record<string, Omit<QuantitySymbol, 'unit'> & { unit?: string }>> = {
  // model parameters
  nParticles: { symbol: 'N', name: 'number of particles' },
  fractionB: { symbol: 'f<sub>B</sub>', name: 'WO<sub>3</sub> fraction' },
  radiusMedianA: { symbol: 'r<sub>A</sub>', name: 'median radius TiO<sub>2</sub>' },
  radiusMedianB: { symbol: 'r<sub>B</sub>', name: 'median radius WO<sub>3</sub>' },
  radiusSigmaA: { symbol: 'σ<sub>A</sub>', name: 'radius spread TiO<sub>2</sub>' },
  radiusSigmaB: { symbol: 'σ<sub>B</sub>', name: 'radius spread WO<sub>3</sub>' },
  fractalDim: { symbol: 'D<sub>f</sub>', name: 'fractal dimension' },
  prefactor: { symbol: 'k<sub>f</sub>', name: 'fractal prefactor' },
  segregation: { symbol: 's', name: 'segregation' },
  overlap: { symbol: 'ε', name: 'overlap' },
  domainSizeB: { symbol: 'n<sub>B</sub>', name: 'WO<sub>3</sub> domain size' },
  domainFractalDimB: { symbol: 'D<sub>f,B</sub>', name: 'WO<sub>3</sub> domain fractal dimension' },
  domainPrefactorB: { symbol: 'k<sub>f,B</sub>', name: 'WO<sub>3</sub> domain prefactor' },
  // descriptors
  nParticlesMeasured: { symbol: 'N', name: 'number of particles (imaged aggregate)' },
  cnHet: { symbol: 'CN<sub>het</sub>', name: 'hetero-coordination number' },
  meanCoordination: { symbol: 'CN', name: 'coordination number' },
  heteroContactFraction: { symbol: 'f<sub>het</sub>', name: 'hetero-contact fraction' },
  mixingIndex: { symbol: 'M', name: 'mixing index' },
  rgVolumeNm: { symbol: 'R<sub>g</sub>', name: 'radius of gyration' },
  rgMassNm: { symbol: 'R<sub>g,m</sub>', name: 'mass radius of gyration' },
  largestDomainFractionB: { symbol: 'φ<sub>B</sub>', name: 'largest WO<sub>3</sub> domain share' },
  largestDomainFractionA: { symbol: 'φ<sub>A</sub>', name: 'largest TiO<sub>2</sub> domain share' },
  fractalDimPairCount: { symbol: 'D<sub>f,pc</sub>', name: 'pair-count fractal dimension' },
  solidity: { symbol: 'S', name: 'solidity' },
  maxExtentNm: { symbol: 'D<sub>max</sub>', name: 'maximum extent' },
  projectedAreaDiameterNm: { symbol: 'd<sub>pa</sub>', name: 'projected-area diameter' },
  phaseSeparation: { symbol: 'Δ<sub>AB</sub>', name: 'phase separation' },
};

function markupUnit(unit: string): string {
  return unit.replace(/([a-zµ]+)²/g, '$1<sup>2</sup>').replace(/([a-zµ]+)³/g, '$1<sup>3</sup>');
}

/**
 * How `name` (a model parameter or descriptor) is written in figures; unknown names come back as
 * themselves, with no unit.
 *
 * @example quantitySymbol('fractalDim') // { symbol: 'D<sub>f</sub>', name: 'fractal dimension', unit: '' }
 */
export function quantitySymbol(name: string): QuantitySymbol {
  const unit = (DESCRIPTOR_INFO as Record<string, { unit: string }>)[name]?.unit ?? (PARAM_LIMITS as Record<string, { unit?: string }>)[name]?.unit ?? '';
  const s = SYMBOLS[name];
  return s ? { symbol: s.symbol, name: s.name, unit: markupUnit(s.unit ?? unit) } : { symbol: name, name, unit: markupUnit(unit) };
}

/** Options of {@link quantityLabel}. */
export interface QuantityLabelOptions {
  /** `symbol` (`D<sub>f</sub>`), `name` (`fractal dimension`) or `both` (default: `fractal dimension D<sub>f</sub>`). */
  form?: 'symbol' | 'name' | 'both';
  /** Append the unit in parentheses when there is one (default true). */
  unit?: boolean;
}

/**
 * An axis or legend label for a quantity, in sub/superscript markup.
 *
 * @example
 * quantityLabel('radiusMedianA')                     // 'median radius TiO<sub>2</sub> r<sub>A</sub> (nm)'
 * quantityLabel('cnHet', { form: 'symbol' })         // 'CN<sub>het</sub>'
 */
export function quantityLabel(name: string, opts: QuantityLabelOptions = {}): string {
  const q = quantitySymbol(name);
  const form = opts.form ?? 'both';
  const text = form === 'symbol' ? q.symbol : form === 'name' || q.symbol === q.name ? q.name : `${q.name} ${q.symbol}`;
  return opts.unit !== false && q.unit ? `${text} (${q.unit})` : text;
}
