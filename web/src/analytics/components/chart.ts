import uPlot from "uplot";

/** Colours that stay apart for the colour-blind (Okabe–Ito). */
export const palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];

/** Bar paths for a series, from uPlot's own path builders. */
export const bars = uPlot.paths.bars!({ size: [0.7, 40] });

/** A scale from zero to a little above the largest value (1 when all are zero). */
export const fromZero: uPlot.Range.Function = (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1];
