/**
 * The parts of Apache ECharts the insights page draws with (bars and lines, on a canvas for the
 * page and as SVG for a download), registered once. The page imports this module on first use,
 * so the rest of the back office does not carry ECharts.
 */
import { BarChart, LineChart } from "echarts/charts"
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components"
import { init, use } from "echarts/core"
import { CanvasRenderer, SVGRenderer } from "echarts/renderers"

use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer, SVGRenderer])

export { init }
