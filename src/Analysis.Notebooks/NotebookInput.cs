using System.Text;

namespace Analysis.Notebooks;

/// <summary>How the kernels read a line from the notebook's user (Read-Host, Console.ReadLine), one message for all of them when nobody can answer.</summary>
public static class NotebookInput
{
    /// <summary>The message of a cell that asks for input where nobody can answer (a headless run, a client without stdin).</summary>
    public const string Unavailable = "This notebook host does not accept input (Read-Host, prompts, Console.ReadLine): the notebook runs headless, " +
        "or its client does not allow stdin. Pass the value as a notebook parameter or a variable instead.";

    /// <summary>A line from <see cref="CellOutputs.Input"/>; <see cref="InvalidOperationException"/> with <see cref="Unavailable"/> when there is none or the client refuses.</summary>
    public static string ReadLine(CellOutputs? outputs, string prompt, bool password, CancellationToken cancellationToken)
    {
        var input = outputs?.Input ?? throw new InvalidOperationException(Unavailable);
        try
        {
            return input(prompt, password, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException(Unavailable + " (" + e.Message + ")", e);
        }
    }

    /// <summary>Console.In of a C# cell: each line read asks the notebook's user (an empty prompt); end of input never comes.</summary>
    internal sealed class Reader(CellOutputs outputs, CancellationToken cancellationToken) : TextReader
    {
        private string _pending = "";

        public override string? ReadLine()
        {
            if (_pending.Length > 0)
            {
                string rest = _pending.TrimEnd('\n');
                _pending = "";
                return rest;
            }

            return NotebookInput.ReadLine(outputs, "", password: false, cancellationToken);
        }

        public override int Read()
        {
            if (!Fill())
                return -1;
            char c = _pending[0];
            _pending = _pending[1..];
            return c;
        }

        public override int Peek() => _pending.Length > 0 ? _pending[0] : -1;

        public override int Read(char[] buffer, int index, int count)
        {
            if (!Fill())
                return 0;
            int n = Math.Min(count, _pending.Length);
            _pending.CopyTo(0, buffer, index, n);
            _pending = _pending[n..];
            return n;
        }

        public override string ReadToEnd()
        {
            var all = new StringBuilder(_pending);
            _pending = "";
            return all.Append(NotebookInput.ReadLine(outputs, "", password: false, cancellationToken)).ToString();
        }

        private bool Fill()
        {
            if (_pending.Length == 0)
                _pending = NotebookInput.ReadLine(outputs, "", password: false, cancellationToken) + "\n";
            return true;
        }
    }
}
