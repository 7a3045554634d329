import pytest

from myblog.blog.markdown import render_markdown


def test_it_renders_headings_code_lists_and_links():
    html = render_markdown("## Title\n\n```python\nprint(1)\n```\n\n- a\n- b\n\n[docs](https://example.com)")
    assert "<h2>Title</h2>" in html
    assert '<code class="language-python">print(1)' in html
    assert "<li>a</li>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer"' in html


@pytest.mark.parametrize(
    "source, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="x.png" onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "avascript"),
        ('<p style="background:url(x)">x</p>', "style="),
        ('<iframe src="https://evil.example"></iframe>', "<iframe"),
        ("<svg onload=alert(1)>", "onload"),
    ],
)
def test_it_strips_what_could_run_script(source, forbidden):
    assert forbidden.lower() not in render_markdown(source).lower()


def test_it_keeps_harmless_inline_html_and_text():
    html = render_markdown("Hello <em>there</em> & <b>bold</b>")
    assert "<em>there</em>" in html
    assert "&amp;" in html
    assert "bold" in html


def test_a_photo_link_on_its_own_line_becomes_an_embed_marker_with_an_escaped_caption():
    html = render_markdown("Text\n\n![A <b>bold</b> view](photo:42)\n\nMore")
    assert '<figure data-photo="42"><figcaption>A &lt;b&gt;bold&lt;/b&gt; view</figcaption></figure>' in html


def test_a_photo_link_inside_a_sentence_keeps_only_its_caption():
    assert render_markdown("See ![the pier](photo:3) here.") == "<p>See the pier here.</p>"


def test_a_hand_written_embed_marker_keeps_nothing_but_the_photo_id():
    html = render_markdown('<figure data-photo="9" onclick="alert(1)" class="x"><script>alert(1)</script></figure>')
    assert html == '<figure data-photo="9"></figure>'
