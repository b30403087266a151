using System.Text;

namespace Forecast.Inference.Onnx;

/// <summary>
/// Reads the default-domain opset a <c>model.onnx</c> imports. ONNX Runtime's API does not expose it,
/// so this walks the top level of the <c>ModelProto</c> protobuf (field 8, <c>opset_import</c>) and
/// skips everything else, the graph included, without reading it.
/// </summary>
internal static class OnnxOpset
{
    private const int OpsetImportField = 8;

    /// <summary>The version imported for the default domain (<c>""</c> or <c>ai.onnx</c>), or null when none is.</summary>
    public static long? Read(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            long? opset = null;
            while (stream.Position < stream.Length)
            {
                var (field, wireType) = ReadTag(stream);
                if (field == OpsetImportField && wireType == 2)
                {
                    var length = checked((int)ReadVarint(stream));
                    var message = new byte[length];
                    stream.ReadExactly(message);
                    if (ReadOpsetId(message) is ("" or "ai.onnx", var version))
                    {
                        opset = version;
                    }
                }
                else
                {
                    Skip(stream, wireType);
                }
            }

            return opset;
        }
        catch (Exception exception) when (exception is EndOfStreamException or InvalidDataException or OverflowException)
        {
            throw new ModelValidationException($"{path} is not an ONNX model (its protobuf structure is broken: {exception.Message}).", exception);
        }
    }

    /// <summary>Parses an <c>OperatorSetIdProto</c>: domain (field 1) and version (field 2).</summary>
    private static (string Domain, long Version) ReadOpsetId(byte[] message)
    {
        using var stream = new MemoryStream(message, writable: false);
        var domain = "";
        long version = 0;
        while (stream.Position < stream.Length)
        {
            var (field, wireType) = ReadTag(stream);
            if (field == 1 && wireType == 2)
            {
                var bytes = new byte[checked((int)ReadVarint(stream))];
                stream.ReadExactly(bytes);
                domain = Encoding.UTF8.GetString(bytes);
            }
            else if (field == 2 && wireType == 0)
            {
                version = (long)ReadVarint(stream);
            }
            else
            {
                Skip(stream, wireType);
            }
        }

        return (domain, version);
    }

    private static (int Field, int WireType) ReadTag(Stream stream)
    {
        var tag = ReadVarint(stream);
        return (checked((int)(tag >> 3)), (int)(tag & 7));
    }

    private static ulong ReadVarint(Stream stream)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                throw new EndOfStreamException("the file ends inside a varint");
            }

            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("a varint is longer than 10 bytes");
    }

    private static void Skip(Stream stream, int wireType)
    {
        long skip = wireType switch
        {
            0 => 0,
            1 => 8,
            2 => checked((long)ReadVarint(stream)),
            5 => 4,
            _ => throw new InvalidDataException($"wire type {wireType} is not used by ONNX"),
        };
        if (wireType == 0)
        {
            ReadVarint(stream);
            return;
        }

        if (stream.Position + skip > stream.Length)
        {
            throw new EndOfStreamException("a field runs past the end of the file");
        }

        stream.Seek(skip, SeekOrigin.Current);
    }
}
