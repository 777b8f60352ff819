// A small line chart as SVG: quality (perplexity) against bits per weight, one line per series.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mobiq::cli {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

// An SVG document; axes span the data with a margin, y on a log scale when `log_y`.
std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<PlotSeries>& series, bool log_y);

}  // namespace mobiq::cli
