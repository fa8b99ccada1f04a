using Xunit;

namespace Analysis.Tests;

public class WildcardTests
{
    [Theory]
    [InlineData("Contoso.*", "Contoso.Orders.Invoice", true)]
    [InlineData("contoso.*", "Contoso.Orders.Invoice", true)]
    [InlineData("*Invoice", "Contoso.Orders.Invoice", true)]
    [InlineData("*Invoice", "Contoso.Orders.Invoice[]", false)]
    [InlineData("*Invoice*", "Contoso.Orders.Invoice[]", true)]
    [InlineData("Orders.*", "Contoso.Orders.Invoice", false)]
    [InlineData("System.String", "System.String", true)]
    [InlineData("System.String", "System.String[]", false)]
    [InlineData("System.?nt32", "System.Int32", true)]
    [InlineData("*.*.*", "a.b", false)]
    [InlineData("*", "", true)]
    [InlineData("", "", true)]
    [InlineData("", "x", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    public void IsMatch_MatchesTheWholeTextIgnoringCase(string pattern, string text, bool expected) =>
        Assert.Equal(expected, new Wildcard(pattern).IsMatch(text));

    [Fact]
    public void IsMatch_ManyStars_StaysLinear()
    {
        // A pattern that makes naive recursive matchers explode.
        var w = new Wildcard(string.Concat(Enumerable.Repeat("a*", 30)) + "b");
        Assert.False(w.IsMatch(new string('a', 5000)));
    }
}
