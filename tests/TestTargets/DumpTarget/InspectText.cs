// A string with control characters and a lone surrogate (issue 14): Get-DumpObject must show it escaped, never raw,
// and every serializer must take it. Set when the module loads, so every mode's dump has it. Mirrored in
// tests/Analysis.Testing/TargetFacts.cs (InspectAwkward*).
using System.Runtime.CompilerServices;

namespace Contoso.Inspect
{
    public static class AwkwardText
    {
        public static string? Text;

        [ModuleInitializer]
        internal static void Load() => Text = string.Concat("tab\there", "\nbell\u0007 esc\u001b[31m lone\ud800 end");
    }
}
