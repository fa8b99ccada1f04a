using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Analysis.Notebooks.Jupyter;

/// <summary>
/// One message of the Jupyter messaging protocol (5.3): the routing identities it came with (ROUTER sockets), its
/// header, the header of the request it answers, metadata, content and binary buffers.
/// </summary>
public sealed class JupyterMessage
{
    /// <summary>The protocol version this kernel speaks.</summary>
    public const string ProtocolVersion = "5.3";

    /// <summary>The frame between the identities and the signature.</summary>
    public const string Delimiter = "<IDS|MSG>";

    /// <summary>ZeroMQ routing identities (the client's socket ids), in order; replies go back with them.</summary>
    public IReadOnlyList<byte[]> Identities { get; init; } = [];

    /// <summary>msg_id, session, username, date, msg_type, version.</summary>
    public required JsonObject Header { get; init; }

    /// <summary>The header of the request this message answers; empty for a request.</summary>
    public JsonObject ParentHeader { get; init; } = new();

    /// <summary>Free-form metadata.</summary>
    public JsonObject Metadata { get; init; } = new();

    /// <summary>The message's content (its fields depend on <see cref="MessageType"/>).</summary>
    public JsonObject Content { get; init; } = new();

    /// <summary>Extra binary frames after the content.</summary>
    public IReadOnlyList<byte[]> Buffers { get; init; } = [];

    /// <summary>The header's msg_type ("execute_request" …).</summary>
    public string MessageType => Header["msg_type"]?.GetValue<string>() ?? "";

    /// <summary>The header's msg_id.</summary>
    public string Id => Header["msg_id"]?.GetValue<string>() ?? "";

    /// <summary>A header for a new message of <paramref name="messageType"/> in <paramref name="session"/>.</summary>
    public static JsonObject NewHeader(string messageType, string session) => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString("N"),
        ["session"] = session,
        ["username"] = "kernel",
        ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        ["msg_type"] = messageType,
        ["version"] = ProtocolVersion,
    };

    /// <summary>The frames to send: identities, delimiter, signature, the four JSON parts, buffers.</summary>
    public List<byte[]> ToFrames(MessageSigner signer)
    {
        byte[] header = Json(Header), parent = Json(ParentHeader), metadata = Json(Metadata), content = Json(Content);
        var frames = new List<byte[]>(Identities.Count + 6 + Buffers.Count);
        frames.AddRange(Identities);
        frames.Add(Encoding.ASCII.GetBytes(Delimiter));
        frames.Add(Encoding.ASCII.GetBytes(signer.Sign(header, parent, metadata, content)));
        frames.Add(header);
        frames.Add(parent);
        frames.Add(metadata);
        frames.Add(content);
        frames.AddRange(Buffers);
        return frames;
    }

    /// <summary>
    /// Reads a message from its frames; null (with <paramref name="problem"/> saying why) when it is malformed or its
    /// signature is missing or wrong (compared in constant time).
    /// </summary>
    public static JupyterMessage? FromFrames(IReadOnlyList<byte[]> frames, MessageSigner signer, out string? problem)
    {
        byte[] delimiter = Encoding.ASCII.GetBytes(Delimiter);
        int at = -1;
        for (int i = 0; i < frames.Count; i++)
        {
            if (frames[i].AsSpan().SequenceEqual(delimiter))
            {
                at = i;
                break;
            }
        }

        if (at < 0 || frames.Count < at + 6)
        {
            problem = $"malformed message: {frames.Count} frames, {(at < 0 ? "no <IDS|MSG> delimiter" : "fewer than 5 frames after the delimiter")}";
            return null;
        }

        string signature = Encoding.ASCII.GetString(frames[at + 1]);
        if (!signer.Verify(signature, frames[at + 2], frames[at + 3], frames[at + 4], frames[at + 5]))
        {
            problem = signature.Length == 0 ? "missing signature" : "wrong signature";
            return null;
        }

        try
        {
            var message = new JupyterMessage
            {
                Identities = frames.Take(at).ToArray(),
                Header = Parse(frames[at + 2]) ?? throw new JsonException("the header is empty"),
                ParentHeader = Parse(frames[at + 3]) ?? new JsonObject(),
                Metadata = Parse(frames[at + 4]) ?? new JsonObject(),
                Content = Parse(frames[at + 5]) ?? new JsonObject(),
                Buffers = frames.Skip(at + 6).ToArray(),
            };
            problem = message.MessageType.Length == 0 ? "the header has no msg_type" : null;
            return problem is null ? message : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            problem = $"malformed JSON: {e.Message}";
            return null;
        }
    }

    private static JsonObject? Parse(byte[] json) => json.Length == 0 ? null : JsonNode.Parse(json) as JsonObject ?? throw new JsonException("a part is not a JSON object");

    private static byte[] Json(JsonObject node) => JsonSerializer.SerializeToUtf8Bytes(node);
}

/// <summary>HMAC-SHA256 signatures of messages (hex, as Jupyter writes them); signing is off when the key is empty.</summary>
public sealed class MessageSigner
{
    private readonly byte[] _key;

    /// <summary>A signer with the connection file's key.</summary>
    public MessageSigner(string key)
    {
        _key = Encoding.UTF8.GetBytes(key);
    }

    /// <summary>Whether messages are signed (a non-empty key).</summary>
    public bool Enabled => _key.Length > 0;

    /// <summary>The lower-case hex HMAC-SHA256 of the four parts; "" when signing is off.</summary>
    public string Sign(byte[] header, byte[] parent, byte[] metadata, byte[] content) =>
        Enabled ? Convert.ToHexStringLower(Mac(header, parent, metadata, content)) : "";

    /// <summary>Whether <paramref name="signature"/> is the parts' signature (always true when signing is off); constant time.</summary>
    public bool Verify(string signature, byte[] header, byte[] parent, byte[] metadata, byte[] content)
    {
        if (!Enabled)
            return true;
        if (signature.Length != 64)
            return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(given, Mac(header, parent, metadata, content));
    }

    private byte[] Mac(byte[] header, byte[] parent, byte[] metadata, byte[] content)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(header);
        hmac.AppendData(parent);
        hmac.AppendData(metadata);
        hmac.AppendData(content);
        return hmac.GetHashAndReset();
    }
}
