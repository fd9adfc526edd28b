#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace selfens::report {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * v);
  return buf;
}

// Y axis from 0 to `top` (a fraction) with gridlines every 10 or 20 points.
std::string y_axis(double x0, double y0, double w, double h, double top,
                   std::string_view label) {
  std::ostringstream s;
  const double step = top > 0.5 ? 0.2 : top > 0.2 ? 0.1 : 0.05;
  for (double v = 0; v <= top + 1e-9; v += step) {
    const double y = y0 + h - h * v / top;
    s << svg_line(x0, y, x0 + w, y, "#ddd", 1);
    s << svg_text(x0 - 6, y + 4, percent(v), "end", 10, "#555");
  }
  s << svg_line(x0, y0, x0, y0 + h, "#333", 1) << svg_line(x0, y0 + h, x0 + w, y0 + h, "#333", 1);
  s << "<text x=\"14\" y=\"" << num(y0 + h / 2) << "\" font-size=\"11\" text-anchor=\"middle\" "
    << "transform=\"rotate(-90 14 " << num(y0 + h / 2) << ")\" fill=\"#333\">"
    << xml_escape(label) << "</text>";
  return s.str();
}

double axis_top(double max_value) {
  if (max_value <= 0.2) return 0.2;
  if (max_value <= 0.5) return 0.5;
  return 1.0;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_open(double width, double height, std::string_view id) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"" + xml_escape(id) + "\" width=\"" +
         num(width) + "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " +
         num(height) + "\" font-family=\"sans-serif\">\n";
}

std::string svg_rect(double x, double y, double w, double h, std::string_view fill,
                     std::string_view cls) {
  std::string s = "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(w) +
                  "\" height=\"" + num(h) + "\" fill=\"" + std::string(fill) + "\"";
  if (!cls.empty()) s += " class=\"" + std::string(cls) + "\"";
  return s + "/>\n";
}

std::string svg_line(double x1, double y1, double x2, double y2, std::string_view stroke,
                     double width, std::string_view dash) {
  std::string s = "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) +
                  "\" y2=\"" + num(y2) + "\" stroke=\"" + std::string(stroke) +
                  "\" stroke-width=\"" + num(width) + "\"";
  if (!dash.empty()) s += " stroke-dasharray=\"" + std::string(dash) + "\"";
  return s + "/>\n";
}

std::string svg_text(double x, double y, std::string_view text, std::string_view anchor,
                     double size, std::string_view fill, std::string_view weight) {
  return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" +
         std::string(anchor) + "\" font-size=\"" + num(size) + "\" fill=\"" +
         std::string(fill) + "\" font-weight=\"" + std::string(weight) + "\">" +
         xml_escape(text) + "</text>\n";
}

std::string series_color(size_t i) {
  static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                 "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  return colors[i % 8];
}

std::string svg_bar_chart(const std::vector<Bar>& bars, std::string_view title,
                          std::string_view id, std::string_view y_label) {
  const double x0 = 64, y0 = 36, h = 260, bw = 70, gap = 24;
  const double w = std::max(1.0, bars.size() * (bw + gap) + gap);
  double vmax = 0;
  for (const Bar& b : bars) vmax = std::max(vmax, b.value);
  const double top = axis_top(vmax);
  std::ostringstream s;
  s << svg_open(x0 + w + 20, y0 + h + 60, id);
  s << svg_text(x0, 20, title, "start", 14, "#222", "bold");
  s << y_axis(x0, y0, w, h, top, y_label);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double x = x0 + gap + i * (bw + gap);
    const double bh = h * std::clamp(b.value, 0.0, top) / top;
    s << svg_rect(x, y0 + h - bh, bw, bh, b.highlight ? "#d62728" : "#4a7ab8", "bar");
    s << svg_text(x + bw / 2, y0 + h - bh - 4, percent(b.value), "middle", 11);
    s << svg_text(x + bw / 2, y0 + h + 16, b.label, "middle", 11);
  }
  s << "</svg>\n";
  return s.str();
}

std::string svg_line_chart(const std::vector<Series>& series, std::string_view title,
                           std::string_view id, std::string_view x_label,
                           std::string_view y_label) {
  const double x0 = 64, y0 = 36, w = 520, h = 260;
  double xmin = 1e9, xmax = -1e9, vmax = 0;
  for (const Series& se : series)
    for (auto [x, y] : se.points) {
      if (!se.reference) xmin = std::min(xmin, x), xmax = std::max(xmax, x);
      vmax = std::max(vmax, y);
    }
  if (xmin > xmax) xmin = 1, xmax = 2;
  if (xmin == xmax) xmin -= 1, xmax += 1;
  const double top = axis_top(vmax);
  auto px = [&](double x) { return x0 + 20 + (w - 40) * (x - xmin) / (xmax - xmin); };
  auto py = [&](double y) { return y0 + h - h * std::clamp(y, 0.0, top) / top; };
  std::ostringstream s;
  s << svg_open(x0 + w + 180, y0 + h + 60, id);
  s << svg_text(x0, 20, title, "start", 14, "#222", "bold");
  s << y_axis(x0, y0, w, h, top, y_label);
  for (double x = std::ceil(xmin); x <= xmax + 1e-9; x += 1)
    s << svg_text(px(x), y0 + h + 16, num(x), "middle", 10, "#555");
  s << svg_text(x0 + w / 2, y0 + h + 36, x_label, "middle", 11, "#333");
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& se = series[i];
    const std::string color = series_color(i);
    if (se.points.empty()) continue;
    if (se.reference) {
      const double y = py(se.points[0].second);
      s << svg_line(x0, y, x0 + w, y, color, 1.5, "6 4");
    } else {
      s << "<polyline class=\"series\" fill=\"none\" stroke=\"" << color
        << "\" stroke-width=\"2\" points=\"";
      for (auto [x, y] : se.points) s << num(px(x)) << "," << num(py(y)) << " ";
      s << "\"/>\n";
      for (auto [x, y] : se.points)
        s << "<circle cx=\"" << num(px(x)) << "\" cy=\"" << num(py(y)) << "\" r=\"3\" fill=\""
          << color << "\"/>\n";
    }
    const double ly = y0 + 10 + 18 * i;
    s << svg_line(x0 + w + 12, ly - 4, x0 + w + 36, ly - 4, color, 2,
                  se.reference ? "6 4" : "");
    s << svg_text(x0 + w + 42, ly, se.name, "start", 11);
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace selfens::report
