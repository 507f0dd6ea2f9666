/**
 * Karpathy's four claims about 33 years of progress on the 1989 net ("Deep Neural Nets: 33
 * Years Ago and 33 Years From Now", 2022), each held against the factorial's numbers by a
 * stated rule: algorithms alone roughly halved the error; going further took about 10× more
 * data; then more compute (training longer); and the contributions were balanced. The verdicts
 * and their paragraphs are built from `fits.json`, so the text says what the run says.
 *
 * @module
 */
import { type MeasuredEquivalent, type Multiplier, reachedAt } from "./iso_error.ts";

/** The parts of the factorial's fits.json the verdicts read. */
export interface FactorialFits {
  groups: Record<"algorithms" | "data" | "compute", Interval>;
  shares: Record<"algorithms" | "data" | "compute", Interval>;
  total: Interval;
  steps: Record<
    "algorithms_alone" | "data_after_algorithms" | "compute_after_algorithms_and_data",
    Interval
  >;
  levels: { trainSize: [number, number]; passes: [number, number] };
  precision: { seeds: number };
}

/** The parts of the iso-error fits.json the verdicts read. */
export interface IsoErrorFits {
  reference: { trainSize: number; passes: number };
  oldError: Interval;
  modernError: Interval;
  /**
   * k_D and k_P with their intervals (null: never), the floor of each direction, and whether
   * the amount lies beyond the measured grid.
   */
  data: IsoMultiplier;
  passes: IsoMultiplier;
  belowFloor: boolean;
  /** Whether the reference budget lies outside the measured grid. */
  extrapolated: boolean;
  /** The comparison on the measured cell means, without the laws (null: reference not measured). */
  measured: MeasuredEquivalent | null;
}

/** One direction of the iso-error comparison, as the verdicts read it. */
export type IsoMultiplier = Pick<Multiplier, "value" | "ci" | "floor" | "beyondGrid">;

/** A value with its 95% interval. */
export interface Interval {
  value: number;
  ci: [number, number];
}

/** How a claim fares. */
export type Verdict = "confirmed" | "refuted" | "qualified";

/** One claim, its verdict and the paragraph that says why. */
export interface ClaimVerdict {
  claim: string;
  verdict: Verdict;
  /** Markdown: the numbers, the rule, the figure. */
  markdown: string;
  /** The figure (results file name without extension) that shows it. */
  figure: string;
  /** True with one seed per cell: the intervals have no width and the verdict is untested. */
  provisional: boolean;
}

/**
 * The rules, as stated in the paragraphs (halvings = drop in log2 test error; intervals are
 * the 95% bootstrap intervals over seeds).
 */
export const CLAIM_RULES = {
  halving: "confirmed when the interval lies inside [0.75, 1.25] halvings (the error divided " +
    "by 1.7–2.4), refuted when it lies wholly below 0.5 or wholly above 1.5 halvings (divided " +
    "by less than 1.4 or more than 2.8), qualified otherwise; with two measures, both must " +
    "agree or the verdict is qualified",
  further: "confirmed when the interval lies above 0.1 halvings (the error at least 7% lower), " +
    "refuted when it lies below 0.1, qualified when it straddles 0.1",
  balanced: "confirmed when every group's share of the total drop has its interval inside " +
    "[1/6, 1/2] (none below half or above 1.5× an equal third), refuted when some share lies " +
    "wholly outside it, qualified otherwise (and qualified when the total drop's interval " +
    "reaches 0)",
} as const;

const halvings = (a: Interval) =>
  `${a.value.toFixed(2)} [${a.ci[0].toFixed(2)}, ${a.ci[1].toFixed(2)}] halvings`;

const factor = (a: Interval) =>
  `${(2 ** a.value).toFixed(2)}× [${(2 ** a.ci[0]).toFixed(2)}, ${(2 ** a.ci[1]).toFixed(2)}]`;

function halvingVerdict(a: Interval): Verdict {
  const [lo, hi] = a.ci;
  if (lo >= 0.75 && hi <= 1.25) return "confirmed";
  if (hi < 0.5 || lo > 1.5) return "refuted";
  return "qualified";
}

function furtherVerdict(a: Interval): Verdict {
  if (a.ci[0] > 0.1) return "confirmed";
  if (a.ci[1] < 0.1) return "refuted";
  return "qualified";
}

function balancedVerdict(fits: FactorialFits): Verdict {
  if (fits.total.ci[0] <= 0) return "qualified";
  const shares = Object.values(fits.shares);
  if (shares.every((s) => s.ci[0] >= 1 / 6 && s.ci[1] <= 1 / 2)) return "confirmed";
  if (shares.some((s) => s.ci[1] < 1 / 6 || s.ci[0] > 1 / 2)) return "refuted";
  return "qualified";
}

const percent = (v: number) => `${(100 * v).toFixed(0)}%`;

/** "12× (95% interval 8.0× to 20×) the digits", or "never" with the floor in the way. */
const needs = (m: IsoMultiplier, what: string) => {
  const show = (v: number | null) => (v === null ? "never" : `${v.toPrecision(2)}×`);
  return m.value === null
    ? `could not match it with more ${what} alone (its floor in that direction, ${
      m.floor.toFixed(2)
    }%, lies above it)`
    : `would need ${show(m.value)} (95% interval ${show(m.ci[0])} to ${show(m.ci[1])}) the ${what}${
      m.beyondGrid ? ", read beyond the measured grid" : ""
    }`;
};

/** The grid's own reading of the comparison, as a sentence. */
const measuredText = (m: MeasuredEquivalent) =>
  ` Read off the measured cells without the laws: ${m.oldError.toFixed(2)}% and ${
    m.modernError.toFixed(2)
  }%, and the 1989 recipe's cells reach the modern one's ${reachedAt(m, 2)}.`;

/**
 * The four verdicts with their paragraphs; `iso` (the iso-error fits) adds the algorithms'
 * data and pass equivalents to the data claim.
 *
 * @example
 * ```ts
 * const fits = await readJsonFile("results/lecun1989-factorial/fits.json");
 * for (const claim of claimVerdicts(fits as never)) console.log(claim.verdict, claim.claim);
 * ```
 */
export function claimVerdicts(fits: FactorialFits, iso?: IsoErrorFits): ClaimVerdict[] {
  const { groups, steps, shares, levels } = fits;
  const dataRatio = (levels.trainSize[1] / levels.trainSize[0]).toFixed(1);
  const passRatio = (levels.passes[1] / levels.passes[0]).toFixed(1);
  const budget = `${levels.trainSize[0].toLocaleString("en-US")} digits and ${
    levels.passes[0]
  } passes`;
  const base = levels.trainSize[0] === 7291 && levels.passes[0] === 23
    ? `the 1989 budget (${budget})`
    : `the grid's base budget (${budget})`;

  const byShapley = halvingVerdict(groups.algorithms);
  const alone = halvingVerdict(steps.algorithms_alone);
  const halving: Verdict = byShapley === alone ? byShapley : "qualified";
  const data = furtherVerdict(steps.data_after_algorithms);
  const compute = furtherVerdict(steps.compute_after_algorithms_and_data);
  const balanced = balancedVerdict(fits);

  const isoText = iso
    ? ` For scale: at ${
      iso.reference.trainSize.toLocaleString("en-US")
    } digits and ${iso.reference.passes} passes the fitted laws give ${
      iso.oldError.value.toFixed(2)
    }% for the 1989 recipe and ${
      iso.modernError.value.toFixed(2)
    }% for the modern one: the 1989 recipe ${needs(iso.data, "digits")}, and ${
      needs(iso.passes, "passes")
    }${iso.belowFloor ? "; the modern error lies below even its E, so no budget reaches it" : ""}${
      iso.extrapolated ? " (extrapolated beyond the measured grid)" : ""
    } (figure \`iso-error\`).${iso.measured ? measuredText(iso.measured) : ""}`
    : "";
  const provisional = fits.precision.seeds < 2;
  const caveat = provisional
    ? " *With one seed per cell the intervals have no width: this verdict is provisional.*"
    : "";
  const shareText = (["algorithms", "data", "compute"] as const)
    .map((g) =>
      `${g} ${percent(shares[g].value)} [${percent(shares[g].ci[0])}, ${percent(shares[g].ci[1])}]`
    )
    .join(", ");

  const claims: Omit<ClaimVerdict, "provisional">[] = [
    {
      claim: "Algorithmic progress alone roughly halved the error",
      verdict: halving,
      figure: "shapley",
      markdown: `**Algorithms halve the error — ${halving}.** The four algorithmic changes ` +
        `(cross-entropy, AdamW, augmentation, ReLU + dropout) earn a Shapley sum of ${
          halvings(groups.algorithms)
        }, the error divided by ${factor(groups.algorithms)}; switched on together at ` +
        `${base} they give ${
          halvings(steps.algorithms_alone)
        }. Rule: ${CLAIM_RULES.halving}. Figure: \`shapley\` (groups).`,
    },
    {
      claim: "Going further took about 10× more data",
      verdict: data,
      figure: "ladder",
      markdown: `**Then ~10× more data — ${data}.** On top of the modern algorithms trained ` +
        `for ${levels.passes[1]} passes, ${dataRatio}× the digits (${
          levels.trainSize[1].toLocaleString("en-US")
        }) lower the error by ${halvings(steps.data_after_algorithms)}; more data's Shapley ` +
        `value is ${halvings(groups.data)}. Rule: ${CLAIM_RULES.further}.${isoText} ` +
        `Figure: \`ladder\` (the last rung), \`shapley\`.`,
    },
    {
      claim: "Then more compute (training longer)",
      verdict: compute,
      figure: "ladder",
      markdown:
        `**Then more compute — ${compute}.** With the modern algorithms and ${
          levels.trainSize[1].toLocaleString("en-US")
        } digits, ${passRatio}× the passes (${levels.passes[0]} → ${levels.passes[1]}) lower ` +
        `the error by ${halvings(steps.compute_after_algorithms_and_data)}; more passes' ` +
        `Shapley value is ${halvings(groups.compute)}. Rule: ${CLAIM_RULES.further}. ` +
        `Figure: \`ladder\`, \`shapley\`.`,
    },
    {
      claim: "Algorithms, data and compute contributed in balance",
      verdict: balanced,
      figure: "shapley",
      markdown: `**Balanced contributions — ${balanced}.** Of the total drop of ${
        halvings(fits.total)
      } (the error divided by ${
        factor(fits.total)
      }), the shares are ${shareText}. Rule: ${CLAIM_RULES.balanced}. Figure: \`shapley\` (groups).`,
    },
  ];
  return claims.map((c) => ({ ...c, markdown: c.markdown + caveat, provisional }));
}
