// MarkdownRenderer through the real md4c and the real kate-syntax-highlighter tool: raw HTML is
// never markup, links are shown but unsafe schemes and images are not, code blocks carry their
// language and copy link, and highlighting arrives later, per theme, from the cache.
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

#include "code_highlighter.h"
#include "markdown_renderer.h"

using parley::app::CodeHighlighter;
using parley::app::MarkdownRenderer;

class TestMarkdownRenderer : public QObject {
    Q_OBJECT

  private slots:
    void blocksAndSpans_data() {
        QTest::addColumn<QString>("markdown");
        QTest::addColumn<QString>("expected");
        QTest::newRow("paragraph") << "Hello *world*"
                                   << "<p>Hello <i>world</i></p>";
        QTest::newRow("strong and strike") << "**a** ~~b~~"
                                           << "<p><b>a</b> <s>b</s></p>";
        QTest::newRow("heading") << "## Title"
                                 << "<h2>Title</h2>";
        QTest::newRow("list") << "- one\n- two"
                              << "<ul><li>one</li><li>two</li></ul>";
        QTest::newRow("ordered list from 3") << "3. c\n4. d"
                                             << "<ol start=\"3\"><li>c</li><li>d</li></ol>";
        QTest::newRow("task list") << "- [x] done"
                                   << "<ul><li>\u2611 done</li></ul>";
        QTest::newRow("raw html is text") << "<script>alert(1)</script>"
                                          << "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>";
        QTest::newRow("inline html is text") << "a <b onclick=x>b</b>"
                                             << "<p>a &lt;b onclick=x&gt;b&lt;/b&gt;</p>";
        QTest::newRow("http link kept") << "[site](https://example.com/a?b=1&c=2)"
                                        << "<p><a href=\"https://example.com/a?b=1&amp;c=2\" "
                                           "style=\"color:#0969da\">site</a></p>";
        QTest::newRow("javascript link dropped") << "[x](javascript:alert(1))"
                                                 << "<p>x</p>";
        QTest::newRow("file link dropped") << "[x](file:///etc/passwd)"
                                           << "<p>x</p>";
        QTest::newRow("image never loaded") << "![cat](https://example.com/cat.png)"
                                            << "<p><a href=\"https://example.com/cat.png\" "
                                               "style=\"color:#0969da\">[image: cat]</a></p>";
        QTest::newRow("autolink") << "see https://example.org now"
                                  << "<p>see <a href=\"https://example.org\" "
                                     "style=\"color:#0969da\">https://example.org</a> "
                                     "now</p>";
    }
    void blocksAndSpans() {
        QFETCH(QString, markdown);
        QFETCH(QString, expected);
        MarkdownRenderer renderer;
        QCOMPARE(renderer.render(markdown, {}).html, expected);
    }

    // Qt rich text ignores the view's link colour: links carry the theme's own.
    void linksFollowTheTheme() {
        MarkdownRenderer renderer;
        const QString markdown = QStringLiteral("[a](https://example.com)\n\n```\nx\n```");
        const QString light = renderer.render(markdown, {.dark = false}).html;
        const QString dark = renderer.render(markdown, {.dark = true}).html;
        QCOMPARE(light.count("style=\"color:#0969da\">"), 2);  // the link and the code's Copy
        QCOMPARE(dark.count("style=\"color:#6cb6ff\">"), 2);
        QVERIFY(!dark.contains("#0969da"));
    }

    void tableKeepsAlignment() {
        MarkdownRenderer renderer;
        const QString html = renderer.render("| a | b |\n|:-:|--:|\n| 1 | 2 |", {}).html;
        QVERIFY2(html.startsWith("<table"), qPrintable(html));
        QVERIFY(html.contains("<th align=\"center\">a</th>"));
        QVERIFY(html.contains("<td align=\"right\">2</td>"));
    }

    void codeBlockWithoutHighlighter() {
        MarkdownRenderer renderer;
        const auto rendered = renderer.render("```cpp\nint a = 1 < 2;\n```\n\n```\nplain\n```", {});
        QCOMPARE(rendered.codeBlocks, (QStringList{"int a = 1 < 2;", "plain"}));
        QCOMPARE(rendered.languages, (QStringList{"cpp", ""}));
        QVERIFY(rendered.html.contains("int a = 1 &lt; 2;"));
        QVERIFY(rendered.html.contains(">cpp</span>"));
        QVERIFY(rendered.html.contains("href=\"parley-copy:0\""));
        QVERIFY(rendered.html.contains("href=\"parley-copy:1\""));
        QVERIFY(!rendered.highlightPending);
        QCOMPARE(MarkdownRenderer::codeBlockOfLink("parley-copy:1"), 1);
        QCOMPARE(MarkdownRenderer::codeBlockOfLink("https://example.com"), -1);
    }

    void codeIsHighlightedOutOfProcessAndCached() {
        CodeHighlighter highlighter;
        MarkdownRenderer renderer(&highlighter);
        QSignalSpy ready(&renderer, &MarkdownRenderer::highlightsReady);
        const QString markdown = "```python\ndef f(x):\n    return x  # <done>\n```";
        const auto first = renderer.render(markdown, {.dark = false, .highlight = true});
        QVERIFY(first.highlightPending);
        QVERIFY(!first.html.contains("font-weight:bold"));
        QVERIFY(ready.wait(10000));
        const auto light = renderer.render(markdown, {.dark = false, .highlight = true});
        QVERIFY(!light.highlightPending);
        QVERIFY2(light.html.contains("font-weight:bold"), qPrintable(light.html));
        QVERIFY(light.html.contains("&lt;done&gt;"));
        QVERIFY(!light.html.contains("<done>"));
        QCOMPARE(highlighter.cachedCount(), 1);

        const auto darkFirst = renderer.render(markdown, {.dark = true, .highlight = true});
        QVERIFY(darkFirst.highlightPending);
        QVERIFY(ready.wait(10000));
        const auto dark = renderer.render(markdown, {.dark = true, .highlight = true});
        QVERIFY(!dark.highlightPending);
        QVERIFY(dark.html != light.html);
        QCOMPARE(highlighter.cachedCount(), 2);
    }

    // While the view scrolls, no highlighter process starts; the work waits and runs after.
    void heldHighlightingWaitsAndThenRuns() {
        CodeHighlighter highlighter;
        MarkdownRenderer renderer(&highlighter);
        QSignalSpy ready(&renderer, &MarkdownRenderer::highlightsReady);
        renderer.setHighlightingHeld(true);
        QVERIFY(highlighter.held());
        const QString markdown = "```cpp\nint held = 1;\n```";
        QVERIFY(renderer.render(markdown, {.dark = false, .highlight = true}).highlightPending);
        // The tool's `--list` run ends; with the work held, no other process is started.
        QTRY_VERIFY_WITH_TIMEOUT(highlighter.findChildren<QProcess*>().isEmpty(), 10000);
        QCOMPARE(ready.count(), 0);
        QCOMPARE(highlighter.cachedCount(), 0);

        renderer.setHighlightingHeld(false);
        QVERIFY(ready.wait(10000));
        QCOMPARE(highlighter.cachedCount(), 1);
        QVERIFY(!renderer.render(markdown, {.dark = false, .highlight = true}).highlightPending);
    }

    void streamingAnswerIsNotHighlighted() {
        CodeHighlighter highlighter;
        MarkdownRenderer renderer(&highlighter);
        const auto rendered =
            renderer.render("```cpp\nint x;\n```", {.dark = false, .highlight = false});
        QVERIFY(!rendered.highlightPending);
        QCOMPARE(highlighter.cachedCount(), 0);
    }

    void hostileLanguageIsCleaned() {
        CodeHighlighter highlighter;
        MarkdownRenderer renderer(&highlighter);
        QSignalSpy ready(&renderer, &MarkdownRenderer::highlightsReady);
        const auto rendered = renderer.render("```--output=/tmp/parley-pwned\nx\n```",
                                              {.dark = false, .highlight = true});
        QVERIFY(rendered.highlightPending);
        QVERIFY(ready.wait(10000));
        QVERIFY(!QFile::exists("/tmp/parley-pwned"));
        const auto after = renderer.render("```--output=/tmp/parley-pwned\nx\n```",
                                           {.dark = false, .highlight = true});
        QVERIFY(!after.highlightPending);
        QVERIFY(after.html.contains("<pre"));
    }
};

QTEST_GUILESS_MAIN(TestMarkdownRenderer)
#include "test_markdown_renderer.moc"
