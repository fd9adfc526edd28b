#pragma once
// Small builders for inline SVG (charts of the HTML report, mask pictures).
// Every function returns markup text; text content is XML-escaped.
#include <string>
#include <string_view>
#include <vector>

namespace selfens::report {

std::string xml_escape(std::string_view text);

std::string svg_open(double width, double height, std::string_view id);  // "<svg ...>"
std::string svg_rect(double x, double y, double w, double h, std::string_view fill,
                     std::string_view cls = "");
std::string svg_line(double x1, double y1, double x2, double y2, std::string_view stroke,
                     double width = 1.0, std::string_view dash = "");
std::string svg_text(double x, double y, std::string_view text, std::string_view anchor = "start",
                     double size = 11, std::string_view fill = "#222",
                     std::string_view weight = "normal");

struct Bar {
  std::string label;
  double value = 0;  // in [0, 1]
  bool highlight = false;
};
// Vertical bars of fractions (0..1), value printed above each bar in percent.
std::string svg_bar_chart(const std::vector<Bar>& bars, std::string_view title,
                          std::string_view id, std::string_view y_label);

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y in 0..1)
  bool reference = false;  // drawn as a dashed horizontal line at points[0].y
};
// Lines of fractions against integer x (number of paraphrases).
std::string svg_line_chart(const std::vector<Series>& series, std::string_view title,
                           std::string_view id, std::string_view x_label,
                           std::string_view y_label);

std::string series_color(size_t i);

}  // namespace selfens::report
