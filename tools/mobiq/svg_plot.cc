#include "tools/mobiq/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace mobiq::cli {
namespace {

constexpr double kWidth = 720, kHeight = 440, kLeft = 70, kRight = 150, kTop = 40, kBottom = 55;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string num(double v, int decimals = 2) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, v);
  return text;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label,
                           const std::vector<PlotSeries>& series, bool log_y) {
  double x0 = std::numeric_limits<double>::max(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series)
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x), x1 = std::max(x1, x);
      y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 1, y1 = 2;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  auto ty = [&](double y) { return log_y ? std::log(y) : y; };
  const double ly0 = ty(y0) - 0.05 * (ty(y1) - ty(y0)), ly1 = ty(y1) + 0.05 * (ty(y1) - ty(y0));
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * plot_w; };
  auto py = [&](double y) { return kTop + (1.0 - (ty(y) - ly0) / (ly1 - ly0)) * plot_h; };

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth, 0) + "\" height=\"" +
                    num(kHeight, 0) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(kLeft, 0) + "\" y=\"22\" font-size=\"15\">" + escape(title) + "</text>\n";
  svg += "<rect x=\"" + num(kLeft, 0) + "\" y=\"" + num(kTop, 0) + "\" width=\"" + num(plot_w, 0) + "\" height=\"" +
         num(plot_h, 0) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (int i = 0; i <= 6; ++i) {  // x ticks
    const double x = x0 + (x1 - x0) * i / 6.0;
    svg += "<text x=\"" + num(px(x), 1) + "\" y=\"" + num(kTop + plot_h + 18, 1) + "\" text-anchor=\"middle\">" +
           num(x) + "</text>\n";
  }
  for (int i = 0; i <= 6; ++i) {  // y ticks and grid
    const double v = ly0 + (ly1 - ly0) * i / 6.0;
    const double y = log_y ? std::exp(v) : v;
    svg += "<line x1=\"" + num(kLeft, 0) + "\" x2=\"" + num(kLeft + plot_w, 0) + "\" y1=\"" + num(py(y), 1) +
           "\" y2=\"" + num(py(y), 1) + "\" stroke=\"#ddd\"/>\n";
    svg += "<text x=\"" + num(kLeft - 6, 0) + "\" y=\"" + num(py(y) + 4, 1) + "\" text-anchor=\"end\">" + num(y, 1) +
           "</text>\n";
  }
  svg += "<text x=\"" + num(kLeft + plot_w / 2, 0) + "\" y=\"" + num(kHeight - 12, 0) + "\" text-anchor=\"middle\">" +
         escape(x_label) + "</text>\n";
  svg += "<text transform=\"translate(16," + num(kTop + plot_h / 2, 0) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escape(y_label) + "</text>\n";
  for (size_t s = 0; s < series.size(); ++s) {
    const char* color = kColors[s % std::size(kColors)];
    std::string points;
    for (auto [x, y] : series[s].points) points += num(px(x), 1) + "," + num(py(y), 1) + " ";
    svg += "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
    for (auto [x, y] : series[s].points)
      svg += "<circle cx=\"" + num(px(x), 1) + "\" cy=\"" + num(py(y), 1) + "\" r=\"3\" fill=\"" + color + "\"/>\n";
    const double ly = kTop + 14 + 20.0 * s;
    svg += "<line x1=\"" + num(kWidth - kRight + 12, 0) + "\" x2=\"" + num(kWidth - kRight + 34, 0) + "\" y1=\"" +
           num(ly, 0) + "\" y2=\"" + num(ly, 0) + "\" stroke=\"" + color + "\" stroke-width=\"2\"/>\n";
    svg += "<text x=\"" + num(kWidth - kRight + 40, 0) + "\" y=\"" + num(ly + 4, 0) + "\">" + escape(series[s].name) +
           "</text>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace mobiq::cli
