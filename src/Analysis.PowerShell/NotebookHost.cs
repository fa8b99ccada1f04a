using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text.RegularExpressions;
using Analysis.Notebooks;

namespace Analysis.PowerShell;

/// <summary>
/// The host of a notebook kernel's runspace: what a cell writes to the host (Write-Host, Out-Host, $Host.UI.WriteLine)
/// goes to the running cell's stdout (errors to stderr), as plain text; what it reads (Read-Host, $Host.UI.PromptForChoice,
/// Get-Credential) asks the notebook's user through <see cref="CellOutputs.Input"/>, and fails saying so where nobody can
/// answer (headless runs). Warning, verbose and debug lines reach the cell through the pipeline's streams, not here, so
/// they are shown once. Progress is not shown (a notebook keeps outputs, not a bar that redraws).
/// </summary>
internal sealed partial class NotebookHost : PSHost
{
    private readonly NotebookHostUI _ui;

    public NotebookHost() => _ui = new NotebookHostUI(this);

    /// <summary>The cell running now (null between cells: writes are dropped, reads fail).</summary>
    public CellOutputs? Outputs { get; set; }

    /// <summary>The running cell's cancellation: interrupting it ends a read that waits for the user.</summary>
    public CancellationToken CellCancellation { get; set; }

    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override string Name => "AnalysisNotebook";

    public override PSHostUserInterface UI => _ui;

    public override Version Version => typeof(NotebookHost).Assembly.GetName().Version ?? new Version(1, 0);

    public override void EnterNestedPrompt() => throw new NotSupportedException("A notebook cell cannot enter a nested prompt (Suspend, breakpoints); run the code without it.");

    public override void ExitNestedPrompt() => throw new NotSupportedException("A notebook cell has no nested prompt to exit.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    /// <summary>exit in a cell ends the cell's script, not the process that hosts the notebook.</summary>
    public override void SetShouldExit(int exitCode)
    {
    }

    /// <summary>Asks the notebook's user for a line; fails when nobody can answer.</summary>
    internal string ReadInput(string prompt, bool password)
    {
        try
        {
            return NotebookInput.ReadLine(Outputs, prompt, password, CellCancellation);
        }
        catch (InvalidOperationException e)
        {
            throw new PSInvalidOperationException(e.Message, e);
        }
    }

    internal void Write(string stream, string text)
    {
        if (Outputs is { } outputs && text.Length > 0)
            outputs.Stream(stream, Ansi().Replace(text, ""));
    }

    /// <summary>Escape sequences (colours, cursor moves) that a string formatted for a terminal may carry.</summary>
    [GeneratedRegex(@"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")]
    internal static partial Regex Ansi();

    private sealed class NotebookHostUI(NotebookHost host) : PSHostUserInterface
    {
        /// <summary>None: formatting uses its default width (as in a runspace without a host) and nothing draws on a screen.</summary>
        public override PSHostRawUserInterface? RawUI => null;

        public override string ReadLine() => host.ReadInput("", password: false);

        public override SecureString ReadLineAsSecureString() => Secure(host.ReadInput("", password: true));

        public override void Write(string value) => host.Write("stdout", value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => host.Write("stdout", value);

        public override void WriteLine(string value) => host.Write("stdout", value + "\n");

        public override void WriteErrorLine(string value) => host.Write("stderr", value + "\n");

        /// <summary>Also in the pipeline's debug stream.</summary>
        public override void WriteDebugLine(string message)
        {
        }

        /// <summary>Also in the pipeline's verbose stream.</summary>
        public override void WriteVerboseLine(string message)
        {
        }

        /// <summary>Also in the pipeline's warning stream, which the kernel shows.</summary>
        public override void WriteWarningLine(string message)
        {
        }

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
        {
            WriteHeading(caption, message);
            var answers = new Dictionary<string, PSObject>(StringComparer.OrdinalIgnoreCase);
            foreach (var field in descriptions)
            {
                string label = string.IsNullOrEmpty(field.Label) ? field.Name : field.Label.Replace("&", "", StringComparison.Ordinal);
                string type = field.ParameterTypeFullName ?? "";
                if (type.EndsWith("SecureString", StringComparison.Ordinal))
                {
                    answers[field.Name] = new PSObject(Secure(host.ReadInput(label + ": ", password: true)));
                }
                else if (type.EndsWith("PSCredential", StringComparison.Ordinal))
                {
                    answers[field.Name] = new PSObject(PromptForCredential("", "", "", ""));
                }
                else
                {
                    answers[field.Name] = new PSObject(host.ReadInput(label + ": ", password: false));
                }
            }

            return answers;
        }

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            WriteHeading(caption, message);
            var labels = choices.Select((c, i) => (Index: i, Label: c.Label.Replace("&", "", StringComparison.Ordinal), HotKey: HotKey(c.Label))).ToList();
            string menu = string.Join("  ", labels.Select(c => $"[{c.HotKey ?? (c.Index + 1).ToString(CultureInfo.InvariantCulture)}] {c.Label}"));
            string fallback = defaultChoice >= 0 && defaultChoice < labels.Count ? $" (default is \"{labels[defaultChoice].Label}\")" : "";
            for (int attempt = 0; attempt < 3; attempt++)
            {
                string answer = host.ReadInput(menu + fallback + ": ", password: false).Trim();
                if (answer.Length == 0 && fallback.Length > 0)
                    return defaultChoice;
                foreach (var choice in labels)
                {
                    if (string.Equals(answer, choice.Label, StringComparison.OrdinalIgnoreCase) || string.Equals(answer, choice.HotKey, StringComparison.OrdinalIgnoreCase)
                        || answer == (choice.Index + 1).ToString(CultureInfo.InvariantCulture))
                        return choice.Index;
                }

                host.Write("stdout", $"'{answer}' is none of the choices.\n");
            }

            throw new PSArgumentException($"No valid choice was given for '{caption}' (the choices: {string.Join(", ", labels.Select(l => l.Label))}).");
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
        {
            WriteHeading(caption, message);
            if (string.IsNullOrEmpty(userName))
                userName = host.ReadInput("User: ", password: false);
            return new PSCredential(userName, Secure(host.ReadInput($"Password for user {userName}: ", password: true)));
        }

        /// <summary>The caption and message of a prompt, once it is known that somebody can answer (a headless run fails without them).</summary>
        private void WriteHeading(string caption, string message)
        {
            if (host.Outputs?.Input is null)
                host.ReadInput("", password: false); // fails saying why

            if (!string.IsNullOrEmpty(caption))
                WriteLine(caption);
            if (!string.IsNullOrEmpty(message))
                WriteLine(message);
        }

        private static string? HotKey(string label)
        {
            int amp = label.IndexOf('&', StringComparison.Ordinal);
            return amp >= 0 && amp + 1 < label.Length ? label[amp + 1].ToString() : null;
        }

        private static SecureString Secure(string text)
        {
            var secure = new SecureString();
            foreach (char c in text)
                secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }
    }
}
